"""The plumbing every admin page shares: the route table with each route's roles, the
guard that signs in, authorizes and checks CSRF before any handler runs, and rendering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.admin import auth
from bot.admin.authz import Forbidden, NotFound, Principal

if TYPE_CHECKING:
    from bot.app import FrontDesk

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "frontdesk_admin_lang"
PREFIX = "/admin"

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
                    ctx.json = await request.json()
                except ValueError:
                    return _status_page(ctx, 400, "the body must be JSON")
            else:
                ctx.form = await request.form()
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
