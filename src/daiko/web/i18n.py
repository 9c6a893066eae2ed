"""Japanese and English: every user-facing string goes through Babel catalogs.

Source strings are English; `locales/ja/LC_MESSAGES/messages.po` translates them. The .po
files are compiled in memory when the process starts (no build step, no binary .mo in
the repository). The locale of a request is chosen once by `locale_middleware` and kept
in a context variable, so templates (`{{ _("…") }}`) and Python code (`gettext`) agree.

Negotiation, first match wins: `?lang=` → the `daiko_lang` cookie (set by the language
switch) → the signed-in user's preference → Accept-Language → ja (Japanese tenants are
the first market, so Japanese is the default).
"""

from __future__ import annotations

import contextvars
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"
COOKIE = "daiko_lang"
LOCALE_DIR = Path(__file__).parent / "locales"

_current: contextvars.ContextVar[str] = contextvars.ContextVar(
    "daiko_locale", default=DEFAULT_LOCALE
)


@cache
def translations(locale: str) -> Translations:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return Translations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> contextvars.Token[str]:
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def gettext(message: str, **variables: Any) -> str:
    text = translations(current_locale()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(current_locale()).ungettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext


def format_yen(amount: int | Decimal) -> str:
    """¥1,234 (integer yen; never float)."""
    return "¥" + format_decimal(amount, format="#,##0", locale=Locale.parse(current_locale()))


def format_day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return format_date(value, format="medium", locale=current_locale())


def format_moment(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(
        value, format="medium", tzinfo=ZoneInfo("Asia/Tokyo"), locale=current_locale()
    )


def parse_accept_language(header: str) -> Iterable[str]:
    weighted: list[tuple[float, str]] = []
    for part in header.split(","):
        lang, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if lang:
            weighted.append((weight, lang.split("-")[0].lower()))
    return (lang for _, lang in sorted(weighted, key=lambda w: -w[0]))


def negotiate(scope: Scope) -> str:
    from urllib.parse import parse_qs

    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    candidates: list[str | None] = [query.get("lang", [None])[0]]
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            candidates.append(value)
    principal = scope.get("state", {}).get("principal")
    if principal is not None:
        candidates.append(getattr(principal, "locale", None))
    candidates.extend(parse_accept_language(headers.get("accept-language", "")))
    for candidate in candidates:
        if candidate in LOCALES:
            return candidate
    return DEFAULT_LOCALE


def locale_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        token = set_locale(negotiate(scope))
        scope.setdefault("state", {})["locale"] = current_locale()
        try:
            await app(scope, receive, send)
        finally:
            _current.reset(token)

    return middleware


def install(env: Any) -> None:
    """Wire gettext and formatters into a Jinja environment."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals.update(
        current_locale=current_locale,
        format_yen=format_yen,
        format_day=format_day,
        format_moment=format_moment,
        LOCALES=LOCALES,
    )
