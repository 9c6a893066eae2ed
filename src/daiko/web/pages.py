"""The landing page."""

from __future__ import annotations

from litestar import get
from litestar.response import Template


@get("/", include_in_schema=False, opt={"public": True})
async def index() -> Template:
    return Template(template_name="index.html")


routes = [index]
