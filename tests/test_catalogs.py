"""Every UI string the code marks for translation has its Indonesian text in the catalog."""

from __future__ import annotations

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import ROOT

KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "translate": (2,), "gettext": (2,)}
METHODS = [("bot/**.py", "python"), ("bot/admin/templates/**.html", "jinja2")]


def test_every_marked_string_has_an_indonesian_translation() -> None:
    found = {
        (msg if isinstance(msg, str) else msg[0]): f"{filename}:{lineno}"
        for filename, lineno, msg, _comments, _context in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS)
        if msg
    }
    assert len(found) > 200, "the extraction found too few strings; is the keyword list right?"
    with (ROOT / "locales" / "id" / "LC_MESSAGES" / "frontdesk.po").open("rb") as f:
        catalog = read_po(f, locale="id")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in found.items() if msgid not in translated)
    assert not missing, "strings without an Indonesian translation:\n" + "\n".join(missing)
