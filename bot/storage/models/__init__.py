"""All ORM models. Importing this package registers every table on `Base.metadata`."""

from bot.storage.models.admin import AdminSession, AdminUser, AuditEntry, ContentState, ContentVersion, LoginAttempt
from bot.storage.models.base import Base, UTCDateTime
from bot.storage.models.booking import Booking, Closure, Consultant, SlotHold, WeeklyAvailability
from bot.storage.models.centers import Center
from bot.storage.models.consultation import ConsultationRequest
from bot.storage.models.channels import CallbackPayload, ConsultantInvite, WhatsAppStatus
from bot.storage.models.core import Conversation, InboundMessage, InboundRate, MessageLog, User
from bot.storage.models.handoff import HandoffMessage, HandoffRequest
from bot.storage.models.nlu import UnansweredMessage
from bot.storage.models.outbox import OutboxMessage

__all__ = [
    "Base", "UTCDateTime", "User", "Conversation", "InboundMessage", "InboundRate", "MessageLog", "OutboxMessage", "Center",
    "UnansweredMessage", "Consultant", "WeeklyAvailability", "Closure", "SlotHold", "Booking",
    "WhatsAppStatus", "CallbackPayload", "ConsultantInvite", "HandoffRequest", "HandoffMessage", "ConsultationRequest",
    "AdminUser", "AdminSession", "LoginAttempt", "AuditEntry", "ContentVersion", "ContentState",
]
