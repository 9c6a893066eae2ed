"""Field errors for server-rendered forms: a form post that is wrong comes back as the
same page (422) with the values typed kept and a message next to each bad field
(`aria-invalid`, `aria-describedby`), never as a bare error page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from daiko.web.i18n import gettext

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FieldErrors(dict[str, str]):
    """field name → translated message (the first problem of each field)."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)


def text(form: Any, name: str) -> str:
    value = form.get(name)
    return str(value).strip() if value is not None else ""


def values(form: Any) -> dict[str, str]:
    """What the user typed, to fill the form again (never secrets: callers drop them)."""
    return {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def required(errors: FieldErrors, form: Any, name: str, *, max_length: int = 200) -> str:
    value = text(form, name)
    if not value:
        errors.add(name, gettext("This field is required."))
    elif len(value) > max_length:
        errors.add(name, gettext("At most %(n)s characters.", n=max_length))
    return value


def optional(errors: FieldErrors, form: Any, name: str, *, max_length: int = 2000) -> str | None:
    value = text(form, name)
    if len(value) > max_length:
        errors.add(name, gettext("At most %(n)s characters.", n=max_length))
    return value or None


def date(errors: FieldErrors, form: Any, name: str, *, needed: bool = True) -> dt.date | None:
    value = text(form, name)
    if not value:
        if needed:
            errors.add(name, gettext("This field is required."))
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.add(name, gettext("Enter a date like 2026-04-01."))
        return None


def month(errors: FieldErrors, form: Any, name: str, *, needed: bool = True) -> str | None:
    value = text(form, name)
    if not value:
        if needed:
            errors.add(name, gettext("This field is required."))
        return None
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value):
        errors.add(name, gettext("Enter a month like 2026-11."))
        return None
    return value


def yen(errors: FieldErrors, form: Any, name: str, *, needed: bool = False) -> int | None:
    value = text(form, name).replace(",", "").replace("¥", "").replace("円", "")
    if not value:
        if needed:
            errors.add(name, gettext("This field is required."))
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        errors.add(name, gettext("Enter a whole number of yen, like 250000."))
        return None
    return int(value)


def email(errors: FieldErrors, form: Any, name: str) -> str:
    value = text(form, name).lower()
    if not value:
        errors.add(name, gettext("This field is required."))
    elif not EMAIL.match(value) or len(value) > 254:
        errors.add(name, gettext("Enter an e-mail address like name@example.co.jp."))
    return value


def choice(errors: FieldErrors, form: Any, name: str, allowed: tuple[str, ...] | list[str]) -> str:
    value = text(form, name)
    if value not in allowed:
        errors.add(name, gettext("Choose one of the options."))
    return value


def many(form: Any, name: str) -> list[str]:
    """Every value of a repeated field (ticked checkboxes); none is an empty list."""
    try:
        found = form.getall(name) if hasattr(form, "getall") else []
    except KeyError:
        return []
    return [str(v) for v in found]
