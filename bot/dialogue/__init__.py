"""The dialogue layer: what the bot says and asks. Flow actions (`@action`), the words of
notifications, the handoff to a consultant. It calls the use cases in `bot.services` with
plain arguments and turns their results and domain events into `Reply` objects; the engine
calls it through its action registry and `TurnHooks`, never by import."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.actions import Turn
from bot.i18n import I18n


def register_actions() -> None:
    """Import every module that registers flow actions (`@action`)."""
    from bot.dialogue import booking, centers, consultants, consultation, faq, handoff, privacy  # noqa: F401


def install_notifier(i18n: I18n) -> None:
    """The booking use cases' notifier: their events become notifications in these words."""
    from bot.dialogue import notices

    notices.install(i18n)


class HandoffHooks:
    """The engine's `TurnHooks`: a conversation handed off to a consultant is theirs."""

    async def prefetch(self, session: AsyncSession, accounts: list[tuple[str, str]], user_ids: list[int]) -> None:
        from bot.services import handoff

        await handoff.prefetch(session, accounts, user_ids)

    async def intercept(self, turn: Turn) -> bool:
        from bot.dialogue import handoff

        return await handoff.intercept(turn)

    async def after_fallback(self, turn: Turn) -> bool:
        from bot.dialogue import handoff

        return await handoff.after_fallback(turn)

    async def unlimited(self, session: AsyncSession, accounts: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """A consultant answering a handoff, or tapping through the morning's bookings, is
        at work, not flooding: the flood limit does not apply to linked consultants."""
        from bot.services.consultant_link import consultant_accounts

        return await consultant_accounts(session, accounts)

    async def after_understood(self, turn: Turn, intent: str) -> None:
        from bot.dialogue import needs

        await needs.offer_other_needs(turn, intent)

    async def follow_up(self, turn: Turn) -> bool:
        from bot.dialogue import followups

        return await followups.follow_up(turn)

    async def specific_part(self, turn: Turn) -> bool:
        from bot.dialogue import followups

        return await followups.specific_part(turn)

    def begin(self, turn: Turn) -> None:
        from bot.dialogue import context

        context.begin(turn)

    def end(self, turn: Turn) -> None:
        from bot.dialogue import context, followups

        followups.remember_mentioned_place(turn)
        context.end(turn)


def dialogue_hooks() -> HandoffHooks:
    return HandoffHooks()
