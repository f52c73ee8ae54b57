"""All ORM models. Importing this package registers every table on `Base.metadata`."""

from bot.storage.models.admin import AdminSession, AdminUser, AuditEntry, ContentState, ContentVersion, LoginAttempt
from bot.storage.models.base import Base, UTCDateTime
from bot.storage.models.core import Conversation, InboundMessage, MessageLog, User

__all__ = [
    "Base", "UTCDateTime", "User", "Conversation", "InboundMessage", "MessageLog",
    "AdminUser", "AdminSession", "LoginAttempt", "AuditEntry", "ContentVersion", "ContentState",
]
