"""`/admin`: the pages admins and center staff use to keep content current.

`routes(app)` is what `bot.web.app` mounts. Every route comes from the table in
`bot.admin.web` (each with the roles it admits) and goes through `guarded`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.admin import content
from bot.admin.web import HERE, TABLE, guarded

# Importing the page modules fills the route table.
from bot.admin import pages_account, pages_content, pages_centers, pages_inbox, pages_knowledge, pages_ops, pages_users, dashboard  # noqa: E402,F401  isort: skip

if TYPE_CHECKING:
    from bot.app import FrontDesk


def routes(app: FrontDesk) -> list[BaseRoute]:
    content.install(app)
    inner: list[BaseRoute] = [Route(r.path, guarded(r), methods=list(r.methods)) for r in TABLE]
    inner.append(Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="admin_static"))
    return [Mount("/admin", routes=inner)]
