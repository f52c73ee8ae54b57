"""PLUT Front Desk: the bilingual chat-bot front desk of Indonesia's PLUT-KUMKM centers."""

__version__ = "0.1.0"
