"""What a file really is, decided from its bytes (magic numbers), never from its name or
the type the uploader declared. Pure: no I/O.

Accepted kinds and the content types an uploader may declare for each (browsers send
`application/octet-stream` for anything they do not know, and Windows browsers declare
CSV as `application/vnd.ms-excel`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    HEIC = "heic"
    HEIF = "heif"
    XLSX = "xlsx"
    ZIP = "zip"
    CSV = "csv"
    TSV = "tsv"


MIME: dict[Kind, str] = {
    Kind.PDF: "application/pdf",
    Kind.PNG: "image/png",
    Kind.JPEG: "image/jpeg",
    Kind.HEIC: "image/heic",
    Kind.HEIF: "image/heif",
    Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Kind.ZIP: "application/zip",
    Kind.CSV: "text/csv",
    Kind.TSV: "text/tab-separated-values",
}

ANY_TYPE = "application/octet-stream"
_TEXT_ALIASES = frozenset({"text/plain", "text/csv", "application/vnd.ms-excel"})
DECLARABLE: dict[Kind, frozenset[str]] = {
    Kind.PDF: frozenset({"application/pdf"}),
    Kind.PNG: frozenset({"image/png"}),
    Kind.JPEG: frozenset({"image/jpeg", "image/jpg", "image/pjpeg"}),
    Kind.HEIC: frozenset({"image/heic", "image/heif"}),
    Kind.HEIF: frozenset({"image/heif", "image/heic"}),
    Kind.XLSX: frozenset({MIME[Kind.XLSX]}),
    Kind.ZIP: frozenset({"application/zip", "application/x-zip-compressed"}),
    Kind.CSV: _TEXT_ALIASES | {"text/comma-separated-values"},
    Kind.TSV: _TEXT_ALIASES | {"text/tab-separated-values"},
}
ACCEPTED_CONTENT_TYPES: frozenset[str] = frozenset(
    {ANY_TYPE, *(t for types in DECLARABLE.values() for t in types)}
)

HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"heif"})
# Control characters a CSV/TSV may contain: tab, line feed, carriage return, form feed.
_TEXT_CONTROLS_OK = frozenset("\t\n\r\f")


@dataclass(frozen=True)
class Sniffed:
    kind: Kind | None
    # For text: the encoding that decoded it ("utf-8" or "cp932").
    charset: str | None = None
    # Why the bytes are no accepted kind (when `kind` is None).
    reason: str | None = None

    @property
    def label(self) -> str | None:
        """What we store as the sniffed type: the MIME type, with the charset for text."""
        if self.kind is None:
            return None
        mime = MIME[self.kind]
        return f"{mime}; charset={self.charset}" if self.charset else mime


def normalise_content_type(declared: str) -> str:
    """`Text/CSV; charset=Shift_JIS` → `text/csv` (parameters dropped, lower case)."""
    return declared.split(";", 1)[0].strip().lower()


def declared_matches(kind: Kind, declared: str) -> bool:
    ct = normalise_content_type(declared)
    return ct == ANY_TYPE or ct in DECLARABLE[kind]


def _zip_kind(data: bytes) -> Kind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return Kind.ZIP  # a broken archive; the archive checks in `verify` refuse it
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return Kind.XLSX
    return Kind.ZIP


def decode_text(data: bytes) -> tuple[str, str] | None:
    """The text and its encoding when `data` is UTF-8 (BOM allowed) or cp932 (Windows
    Shift_JIS, what Japanese Excel writes), else None."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _text_kind(data: bytes) -> Sniffed:
    decoded = decode_text(data)
    if decoded is None:
        return Sniffed(None, reason="not a known file type (not text in UTF-8 or Shift_JIS)")
    text, charset = decoded
    bad = next((c for c in text if ord(c) < 0x20 and c not in _TEXT_CONTROLS_OK), None)
    if bad is not None or "\x7f" in text:
        return Sniffed(None, reason="not a known file type (binary data)")
    first = text.splitlines()[0] if text.strip() else ""
    if "\t" in first and first.count("\t") >= first.count(","):
        return Sniffed(Kind.TSV, charset)
    if "," in first:
        return Sniffed(Kind.CSV, charset)
    return Sniffed(None, reason="plain text without comma or tab separators is not accepted")


def sniff(data: bytes) -> Sniffed:
    """The kind of `data` from its leading bytes (and, for text, from decoding it)."""
    if not data:
        return Sniffed(None, reason="the file is empty")
    if data.startswith(b"%PDF-"):
        return Sniffed(Kind.PDF)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(Kind.PNG)
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed(Kind.JPEG)
    if len(data) >= 12 and data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in HEIC_BRANDS:
            return Sniffed(Kind.HEIC)
        if brand in HEIF_BRANDS:
            return Sniffed(Kind.HEIF)
        return Sniffed(None, reason=f"ISO media brand {brand.decode('latin-1')!r} is not accepted")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed(_zip_kind(data))
    return _text_kind(data)
