"""Original file names: kept as the uploader wrote them (Japanese included), but never
anything a file system or a browser could read as a path."""

from __future__ import annotations

import unicodedata

MAX_FILENAME_BYTES = 255
# Windows device names: harmless here, but a client saving the download would trip on them.
_RESERVED = frozenset(
    {
        "con",
        "prn",
        "aux",
        "nul",
        *(f"com{i}" for i in range(1, 10)),
        *(f"lpt{i}" for i in range(1, 10)),
    }
)


class BadFilename(ValueError):
    """The reason a file name is refused (`str()` is readable by a client)."""


def clean_filename(raw: str) -> str:
    """The name in NFC with surrounding blanks removed, or `BadFilename` with the reason.

    Refused rather than silently rewritten: a name with a directory part, `..`, control
    characters or a drive letter is a mistake or an attack, and the uploader should know.
    """
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise BadFilename("must not be empty")
    if "/" in name or "\\" in name:
        raise BadFilename("must not contain a path (/ or \\)")
    if name in {".", ".."} or name.startswith(".."):
        raise BadFilename("must not be . or .. or start with ..")
    if any(unicodedata.category(c) in {"Cc", "Cf"} for c in name):
        raise BadFilename("must not contain control or invisible formatting characters")
    if len(name) >= 2 and name[1] == ":":
        raise BadFilename("must not start with a drive letter")
    if name.split(".")[0].lower() in _RESERVED:
        raise BadFilename("must not be a reserved device name")
    if len(name.encode()) > MAX_FILENAME_BYTES:
        raise BadFilename(f"must be at most {MAX_FILENAME_BYTES} bytes in UTF-8")
    return name
