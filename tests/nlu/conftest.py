from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.nlu.embedded import EmbeddedNLU

ROOT = Path(__file__).resolve().parents[2]
# Wednesday 25 November 2026, 09:00 WIB (10:00 WITA)
NOW = datetime.fromisoformat("2026-11-25T09:00:00+07:00")

CORE_INTENTS = ["greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "help", "change_language",
                "find_center", "book_consultation", "check_booking", "reschedule_booking", "cancel_booking",
                "talk_to_human", "complain", "my_data", "erase_my_data", "out_of_scope"]
FAQ_INTENTS = ["faq/what_is_plut", "faq/services", "faq/opening_hours", "faq/cost", "faq/requirements",
               "faq/financing", "faq/business_permit", "faq/halal_certification", "faq/trademark",
               "faq/training", "faq/marketing", "faq/packaging", "faq/cooperative"]


@pytest.fixture(scope="session")
def nlu(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedNLU:
    """Trained once per test session from the real data (about a second)."""
    return EmbeddedNLU(ROOT / "nlu", faq_dir=ROOT / "flows" / "faq", cache_dir=tmp_path_factory.mktemp("nlu-cache"))
