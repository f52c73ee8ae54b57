"""The plumbing every admin page shares: the route table with each route's roles, the
guard that signs in, authorizes and checks CSRF before any handler runs, and rendering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.admin import auth
from bot.admin.authz import Forbidden, NotFound, Principal
from bot.edge import BodyRefused, parse_json, read_body, read_form

if TYPE_CHECKING:
    from bot.app import FrontDesk

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "frontdesk_admin_lang"
PREFIX = "/admin"

MAX_ID = 2**31 - 1
"""The largest row id (PostgreSQL `integer`); a larger one names no row."""
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
"""Dates the pages accept; beyond them date arithmetic overflows and nothing is stored."""
MAX_JSON_BODY = 256 * 1024
MAX_FORM_BODY = 4 * 1024 * 1024
"""A form post, uploads included: twice the largest CSV an import takes (2 MB), so a file just
over that limit still gets the import page's own message rather than a bare 413."""


class BadRequest(Exception):
    """A form or query value that cannot be used; answered 400 with the message."""


def parse_id(value: object) -> int | None:
    """A row id given as text (URL or form): ASCII digits within `MAX_ID`, else None."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def path_id(value: str) -> int:
    """`parse_id`, or `NotFound` (404) for an id that can name no row."""
    number = parse_id(value)
    if number is None:
        raise NotFound()
    return number


def parse_day(value: str) -> date:
    """An ISO date within `FIRST_DAY`..`LAST_DAY`; `ValueError` otherwise."""
    day = date.fromisoformat(value)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{value} is out of range")
    return day


def query_day(value: str) -> date | None:
    """A date filter of a page: None when empty or not a date; `BadRequest` when out of range."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadRequest(f"{value} is not a date between {FIRST_DAY} and {LAST_DAY}")
    return day


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: one starting with `=`, `+`, `-`, `@`, tab
    or carriage return would be read as a formula, so it gets a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


_env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def local_time(moment: datetime | None, tz: str | None = None, *, seconds: bool = False) -> str:
    """A stored (UTC) time as people at the center read it: `2026-11-30 14:05 WITA`.
    Without a zone (content versions, sign-ins): the default zone, WIB."""
    if moment is None:
        return ""
    from zoneinfo import ZoneInfo

    from bot.domain.zones import DEFAULT_ZONE, zone_abbreviation

    zone = tz or DEFAULT_ZONE
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "")) + " " + zone_abbreviation(zone)


_env.globals["when"] = local_time


@dataclass
class Ctx:
    """One admin request: who asks, in which language, on which front desk."""

    request: Request
    app: FrontDesk
    principal: Principal | None
    lang: str
    now: datetime
    form: FormData | None = None
    json: Any = None

    def t(self, msgid: str, **kwargs: Any) -> str:
        return self.app.i18n.gettext(self.lang, msgid, **kwargs)

    @property
    def me(self) -> Principal:
        assert self.principal is not None, "guarded route without a principal"
        return self.principal

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return str(value).strip() if isinstance(value, str) else default

    def query(self, name: str, default: str = "") -> str:
        return (self.request.query_params.get(name) or default).strip()

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        html = _env.get_template(template).render(
            t=self.t, me=self.principal, lang=self.lang, csrf=self.principal.csrf_token if self.principal else "",
            path=self.request.url.path, query=self.request.url.query, prefix=PREFIX, **values,
        )
        return HTMLResponse(html, status_code=status_code)


Handler = Callable[[Ctx], Awaitable[Response]]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class AdminRoute:
    path: str
    methods: tuple[str, ...]
    allow: frozenset[str] | None
    """Roles admitted; None means public (the sign-in page)."""
    endpoint: Handler = field(compare=False)


TABLE: list[AdminRoute] = []


def page(path: str, *, allow: frozenset[str] | None, methods: tuple[str, ...] = ("GET",)) -> Callable[[H], H]:
    """Declare an admin route with the roles it admits. There is no other way to add one."""

    def deco(fn: H) -> H:
        TABLE.append(AdminRoute(path, methods, allow, fn))
        return fn

    return deco


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, status_code=303)


def _status_page(ctx: Ctx, status: int, message: str) -> Response:
    if "application/json" in (ctx.request.headers.get("accept") or "") or ctx.json is not None:
        return JSONResponse({"error": message}, status_code=status)
    return ctx.render("status.html", status_code=status, status=status, message=message)


def guarded(route: AdminRoute) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        app: FrontDesk = request.app.state.frontdesk
        lang = request.cookies.get(LANG_COOKIE)
        lang = lang if lang in ("id", "en") else "id"
        now = app.clock.now()
        principal = None
        token = request.cookies.get(auth.SESSION_COOKIE)
        if token:
            async with app.db.sessions() as session:
                found = await auth.session_user(session, token, now)
            if found is not None:
                user, sess = found
                principal = Principal(user.id, user.username, user.role, user.center_code, user.consultant_id, sess.csrf_token)
        ctx = Ctx(request, app, principal, lang, now)
        if route.allow is not None:
            if principal is None:
                if request.method == "GET":
                    return RedirectResponse(f"{PREFIX}/login?next={quote(request.url.path)}", status_code=303)
                return _status_page(ctx, 401, ctx.t("Please sign in first."))
            if not principal.allowed(route.allow):
                return _status_page(ctx, 403, ctx.t("You do not have access to this page."))
        if request.method == "POST":
            sent = request.headers.get("x-csrf-token")
            if "application/json" in (request.headers.get("content-type") or ""):
                try:
                    ctx.json = parse_json(await read_body(request, MAX_JSON_BODY))
                except BodyRefused as exc:
                    return _status_page(ctx, exc.status, "the body must be JSON" if exc.status == 400 else str(exc))
            else:
                try:
                    ctx.form = await read_form(request, MAX_FORM_BODY)
                except BodyRefused as exc:
                    return _status_page(ctx, exc.status, ctx.t("This form could not be read. Please reload the page and try again.")
                                        if exc.status == 400 else ctx.t("The form is too large."))
                sent = sent or (ctx.form.get("csrf") if isinstance(ctx.form.get("csrf"), str) else None)  # type: ignore[assignment]
            expected = principal.csrf_token if principal else request.cookies.get(auth.LOGIN_CSRF_COOKIE)
            if not auth.same_token(sent, expected):
                return _status_page(ctx, 403, ctx.t("This form has expired. Please reload the page and try again."))
        try:
            from bot.admin.content import store_for

            await store_for(app).ensure_fresh()  # pages show and test the content in force, also after another process published
        except Exception:  # e.g. the schema is not migrated yet; the page itself will say what is wrong
            pass
        try:
            return await route.endpoint(ctx)
        except NotFound:
            return _status_page(ctx, 404, ctx.t("Not found."))
        except BadRequest as exc:
            return _status_page(ctx, 400, str(exc))
        except Forbidden:
            return _status_page(ctx, 403, ctx.t("You do not have access to this page."))

    endpoint.__name__ = route.endpoint.__name__
    return endpoint


DYNAMIC_MSGIDS = (
    # messages after an action (?done=...) and version states, translated with t(variable)
    "saved", "published", "rolled_back", "archived", "examples_added", "draft", "retired", "activated", "deactivated",
    # FAQ entry errors (bot.admin.content.FaqEntry.errors), shown with t(error.message)
    "the name is faq/ followed by lower case letters, digits and _", "give at least two example questions",
    "the Indonesian answer is empty", "the English answer is empty",
    "a follow-up button needs a title in both languages", "a follow-up button needs a target (e.g. intent:book_consultation)",
    "choose each follow-up button's target from the list", "the main menu cannot be archived",
    "example sets are rolled back, not archived",
    "at most three follow-up buttons",
    # booking and handoff states, figures and charts of the dashboard (bot.admin.ops_models)
    "pending", "confirmed", "cancelled", "declined", "attended", "no_show", "open", "connected", "closed", "expired", "deleted",
    "Bookings made per center", "Bookings made per service area", "Bookings made in the period",
    "Consultations scheduled in the period", "No-show rate", "Median handoff waiting time", "Ratings",
    "Average rating",
    # account roles (bot.admin.pages_users)
    "admin", "center_admin", "consultant",
)


def used_msgids() -> set[str]:
    """Every UI string of the admin pages (templates and code), for the catalog check."""
    import re

    pattern = re.compile(r"""\bt\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
    found: set[str] = set(DYNAMIC_MSGIDS)
    files = list((HERE / "templates").glob("*.html")) + list(HERE.glob("*.py"))
    for path in files:
        for m in pattern.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(1) if m.group(1) is not None else m.group(2))
    return found
