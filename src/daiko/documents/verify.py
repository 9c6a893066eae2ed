"""Verification of stored bytes against what the uploader declared. Pure: bytes in,
verdict out; the worker job and the tests call it the same way.

A version is verified only when every check passes: the size and SHA-256 equal the
declared ones (moto and some S3 APIs do not check upload checksums, so this is what
guarantees integrity on every backend), the sniffed type is accepted and agrees with
the declared content type, and an archive is not a bomb and names no path outside
itself.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from daiko.documents.sniff import Kind, Sniffed, declared_matches, normalise_content_type, sniff

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 1_000
    max_total_uncompressed: int = 200 * 1024 * 1024
    # Overall and per-entry uncompressed / compressed; real office files stay under 30.
    max_ratio: float = 100.0
    # Entries smaller than this are not ratio-checked (tiny files compress wildly).
    ratio_floor: int = 64 * 1024


DEFAULT_LIMITS = ArchiveLimits()
_NESTED_SUFFIXES = (".zip", ".jar", ".7z", ".rar", ".gz", ".tgz", ".xz", ".bz2")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    size: int
    sha256: str
    sniffed_type: str | None
    reason: str | None = None


def archive_problem(data: bytes, limits: ArchiveLimits = DEFAULT_LIMITS) -> str | None:
    """Why this ZIP (or XLSX) is refused, or None when it is safe to hand out.

    Sizes come from the central directory; zipfile never inflates an entry past its
    declared size, so a lying header cannot make an extractor write more than we saw.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_entries:
                return f"archive has {len(infos)} entries (limit {limits.max_entries})"
            total = 0
            packed = 0
            for info in infos:
                name = info.filename
                problem = _entry_name_problem(name)
                if problem:
                    return f"archive entry {name!r} {problem}"
                if info.flag_bits & 0x1:
                    return f"archive entry {name!r} is encrypted"
                total += info.file_size
                packed += info.compress_size
                if total > limits.max_total_uncompressed:
                    return (
                        "archive expands to more than "
                        f"{limits.max_total_uncompressed} bytes (zip bomb)"
                    )
                if info.file_size >= limits.ratio_floor:
                    ratio = info.file_size / max(info.compress_size, 1)
                    if ratio > limits.max_ratio:
                        return (
                            f"archive entry {name!r} has compression ratio {ratio:.0f}:1 "
                            f"(limit {limits.max_ratio:.0f}:1, zip bomb)"
                        )
                if name.lower().endswith(_NESTED_SUFFIXES):
                    return f"archive entry {name!r} is a nested archive"
                if not info.is_dir() and info.file_size >= 4:
                    with zf.open(info) as entry:
                        if entry.read(4) in (b"PK\x03\x04", b"PK\x05\x06"):
                            return f"archive entry {name!r} is a nested archive"
            if total >= limits.ratio_floor and total / max(packed, 1) > limits.max_ratio:
                return (
                    f"archive has compression ratio {total / max(packed, 1):.0f}:1 "
                    f"(limit {limits.max_ratio:.0f}:1, zip bomb)"
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        return f"archive is unreadable ({exc})"
    return None


def _entry_name_problem(name: str) -> str | None:
    if "\x00" in name:
        return "contains a NUL character"
    if "\\" in name:
        return "contains a backslash path"
    if name.startswith("/") or (len(name) >= 2 and name[1] == ":"):
        return "is an absolute path"
    if ".." in name.split("/"):
        return "escapes the archive (..)"
    return None


def verify_bytes(
    data: bytes,
    *,
    declared_size: int,
    declared_sha256: str,
    declared_content_type: str,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> Verdict:
    """Check `data` against the declaration; the first failing check is the reason."""
    size = len(data)
    digest = hashlib.sha256(data).hexdigest()
    sniffed: Sniffed = sniff(data)

    def refuse(reason: str) -> Verdict:
        return Verdict(False, size, digest, sniffed.label, reason)

    if size == 0:
        return refuse("the stored file is empty")
    if size != declared_size:
        return refuse(f"size mismatch: declared {declared_size} bytes, stored {size} bytes")
    if digest != declared_sha256.lower():
        return refuse(f"SHA-256 mismatch: declared {declared_sha256.lower()}, stored {digest}")
    if sniffed.kind is None:
        return refuse(f"file type refused: {sniffed.reason}")
    if not declared_matches(sniffed.kind, declared_content_type):
        return refuse(
            f"declared content type {normalise_content_type(declared_content_type)} "
            f"but the content is {sniffed.label}"
        )
    if sniffed.kind in (Kind.ZIP, Kind.XLSX):
        problem = archive_problem(data, limits)
        if problem:
            return refuse(problem)
    return Verdict(True, size, digest, sniffed.label)
