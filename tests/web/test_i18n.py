"""Every user-facing string is in the catalogs, translated into Japanese."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from daiko.web.i18n import LOCALE_DIR, format_yen, set_locale

REPO = Path(__file__).resolve().parents[2]


def msgids(path: Path) -> set[str]:
    with path.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id and isinstance(m.id, str)}


def test_catalog_template_is_up_to_date(tmp_path: Path) -> None:
    out = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "gettext",
            "-k",
            "ngettext:1,2",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(out),
            ".",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    assert msgids(out) == msgids(LOCALE_DIR / "messages.pot"), "run `make messages`"


def test_every_message_has_a_japanese_translation() -> None:
    with (LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    assert msgids(LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po") == msgids(
        LOCALE_DIR / "messages.pot"
    )


def test_yen_formatting() -> None:
    set_locale("ja")
    assert format_yen(1234567) == "¥1,234,567"
    assert format_yen(0) == "¥0"
