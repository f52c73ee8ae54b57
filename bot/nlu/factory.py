"""Building the NLU backend the settings ask for."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings, load_settings
from bot.nlu.base import NLUBackend
from bot.nlu.settings import NLUSettings


def content_paths(content_dir: Path) -> dict[str, Path]:
    content_dir = Path(content_dir)
    return {
        "nlu": content_dir / "nlu",
        "faq": content_dir / "flows" / "faq",
        "regions": content_dir / "data" / "regions.csv",
    }


def build_nlu(settings: Settings | None = None, content_dir: Path | None = None, *,
              nlu_settings: NLUSettings | None = None) -> NLUBackend:
    """The embedded engine (default) or a Rasa server, from NLU_BACKEND / RASA_URL / NLU_THRESHOLD.

    `settings` is the app's settings object (its `content_dir` is used when `content_dir`
    is not given; without one they are read from the environment)."""
    settings = settings or load_settings()
    ns = nlu_settings or NLUSettings.of(settings)
    if content_dir is None:
        content_dir = Path(settings.content_dir)
    paths = content_paths(content_dir)
    if ns.backend == "rasa":
        from bot.nlu.rasa_http import RasaHTTPNLU

        return RasaHTTPNLU(str(ns.rasa_url), paths["nlu"], faq_dir=paths["faq"], regions_csv=paths["regions"],
                           threshold=ns.threshold, timeout=ns.rasa_timeout, timezone=ns.timezone)
    from bot.nlu.embedded import EmbeddedNLU

    return EmbeddedNLU(paths["nlu"], faq_dir=paths["faq"], regions_csv=paths["regions"], cache_dir=ns.cache_dir,
                       threshold=ns.threshold, timezone=ns.timezone)
