"""The pure checks: sniffing, verification verdicts, archive limits, file names,
retention dates, blob signatures. No database, no store."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date

import pytest

from daiko.documents import signing
from daiko.documents.filenames import BadFilename, clean_filename
from daiko.documents.retention import earliest_deletion_date
from daiko.documents.sniff import Kind, sniff
from daiko.documents.verify import ArchiveLimits, archive_problem, verify_bytes

CSV_CP932 = "日付,金額,取引先\r\n2024-03-31,12800,株式会社サンプル\r\n".encode("cp932")


def make_zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def xlsx() -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "_rels/.rels": b"<Relationships/>",
            "xl/workbook.xml": b"<workbook/>",
        }
    )


def check(data: bytes, content_type: str, **kw: object) -> tuple[bool, str | None, str | None]:
    v = verify_bytes(
        data,
        declared_size=len(data),
        declared_sha256=hashlib.sha256(data).hexdigest(),
        declared_content_type=content_type,
        **kw,  # type: ignore[arg-type]
    )
    return v.ok, v.sniffed_type, v.reason


@pytest.mark.parametrize(
    ("data", "kind", "label"),
    [
        (b"%PDF-1.4\n", Kind.PDF, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", Kind.PNG, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", Kind.JPEG, "image/jpeg"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", Kind.HEIC, "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", Kind.HEIF, "image/heif"),
        (make_zip({"a.txt": b"hello"}), Kind.ZIP, "application/zip"),
        (xlsx(), Kind.XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (CSV_CP932, Kind.CSV, "text/csv; charset=cp932"),
        (b"a,b\n1,2\n", Kind.CSV, "text/csv; charset=utf-8"),
        (
            b"\xef\xbb\xbf" + "名前\t金額\n".encode(),
            Kind.TSV,
            "text/tab-separated-values; charset=utf-8",
        ),
    ],
)
def test_sniffs_each_accepted_kind(data: bytes, kind: Kind, label: str) -> None:
    got = sniff(data)
    assert (got.kind, got.label) == (kind, label)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"MZ\x90\x00\x03\x00", "not a known file type (not text in UTF-8 or Shift_JIS)"),
        (b"abc\x00def,1", "not a known file type (binary data)"),
        (b"just some words\n", "plain text without comma or tab separators is not accepted"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00", "ISO media brand 'isom' is not accepted"),
    ],
)
def test_refuses_unknown_bytes(data: bytes, reason: str) -> None:
    got = sniff(data)
    assert (got.kind, got.reason) == (None, reason)


def test_verdicts_name_the_first_failing_check() -> None:
    pdf = b"%PDF-1.7\nbody\n"
    digest = hashlib.sha256(pdf).hexdigest()
    ok = verify_bytes(
        pdf, declared_size=len(pdf), declared_sha256=digest, declared_content_type="application/pdf"
    )
    assert (ok.ok, ok.size, ok.sha256, ok.sniffed_type) == (True, 14, digest, "application/pdf")
    short = verify_bytes(
        pdf, declared_size=15, declared_sha256=digest, declared_content_type="application/pdf"
    )
    assert short.reason == "size mismatch: declared 15 bytes, stored 14 bytes"
    wrong = verify_bytes(
        pdf, declared_size=14, declared_sha256="ab" * 32, declared_content_type="application/pdf"
    )
    assert wrong.reason == f"SHA-256 mismatch: declared {'ab' * 32}, stored {digest}"
    empty = verify_bytes(b"", declared_size=1, declared_sha256=digest, declared_content_type="x")
    assert empty.reason == "the stored file is empty"
    assert check(pdf, "image/png") == (
        False,
        "application/pdf",
        "declared content type image/png but the content is application/pdf",
    )
    # Browsers declare unknown files as octet-stream, and CSV as Excel on Windows.
    assert check(pdf, "application/octet-stream")[0] is True
    assert check(CSV_CP932, "application/vnd.ms-excel") == (True, "text/csv; charset=cp932", None)


def test_zip_bomb_by_ratio() -> None:
    bomb = make_zip({"zeros.bin": b"\x00" * (10 * 1024 * 1024)})
    info = zipfile.ZipFile(io.BytesIO(bomb)).infolist()[0]
    ratio = info.file_size / info.compress_size
    assert ratio > 100
    assert archive_problem(bomb) == (
        f"archive entry 'zeros.bin' has compression ratio {ratio:.0f}:1 (limit 100:1, zip bomb)"
    )
    assert check(bomb, "application/zip")[2] == archive_problem(bomb)


def test_zip_limits_entries_total_size_nesting_and_names() -> None:
    many = make_zip({f"f{i}.txt": b"x" for i in range(11)})
    assert archive_problem(many, ArchiveLimits(max_entries=10)) == (
        "archive has 11 entries (limit 10)"
    )
    stored = make_zip({"a.bin": b"a" * 2000, "b.bin": b"b" * 2000}, zipfile.ZIP_STORED)
    assert archive_problem(stored, ArchiveLimits(max_total_uncompressed=3000)) == (
        "archive expands to more than 3000 bytes (zip bomb)"
    )
    nested = make_zip({"inner.zip": make_zip({"a.txt": b"a"})})
    assert archive_problem(nested) == "archive entry 'inner.zip' is a nested archive"
    disguised = make_zip({"inner.dat": make_zip({"a.txt": b"a"})})
    assert archive_problem(disguised) == "archive entry 'inner.dat' is a nested archive"
    assert archive_problem(make_zip({"../evil.txt": b"x"})) == (
        "archive entry '../evil.txt' escapes the archive (..)"
    )
    assert archive_problem(make_zip({"/etc/passwd": b"x"})) == (
        "archive entry '/etc/passwd' is an absolute path"
    )
    assert archive_problem(make_zip({"..\\evil.txt": b"x"})) == (
        "archive entry '..\\\\evil.txt' contains a backslash path"
    )
    assert archive_problem(b"PK\x03\x04 broken") is not None
    assert archive_problem(xlsx()) is None


def test_filenames_keep_japanese_and_refuse_paths() -> None:
    assert clean_filename("  2024年3月 領収書.pdf ") == "2024年3月 領収書.pdf"
    # NFD (macOS) is stored as NFC: "パ" as one character.
    assert clean_filename("ハ\u309aスホ\u309aート.pdf") == "パスポート.pdf"
    refused = {
        "../../etc/passwd": "must not contain a path (/ or \\)",
        "..\\boot.ini": "must not contain a path (/ or \\)",
        "..": "must not be . or .. or start with ..",
        "..hidden.pdf": "must not be . or .. or start with ..",
        "a\x00.pdf": "must not contain control or invisible formatting characters",
        "evil\u202efdp.exe": "must not contain control or invisible formatting characters",
        "C:evil.pdf": "must not start with a drive letter",
        "CON.pdf": "must not be a reserved device name",
        "": "must not be empty",
        "あ" * 86 + ".pdf": "must be at most 255 bytes in UTF-8",
    }
    for name, reason in refused.items():
        with pytest.raises(BadFilename) as err:
            clean_filename(name)
        assert str(err.value) == reason, name


def test_earliest_deletion_dates() -> None:
    assert earliest_deletion_date("bookkeeping_evidence", date(2024, 3, 31)) == date(2031, 3, 31)
    assert earliest_deletion_date("payroll_record", date(2024, 2, 29)) == date(2029, 2, 28)
    assert earliest_deletion_date("bookkeeping_evidence", date(2024, 2, 29)) == date(2031, 2, 28)
    assert earliest_deletion_date("general", date(2024, 3, 31)) is None


def test_blob_signatures_expire_and_bind_their_fields() -> None:
    key = signing.derive_key("s" * 40)
    policy = signing.UploadPolicy("tenants/t/documents/d/v1", 100, 2_000)
    encoded, sig = signing.sign_upload(key, policy)
    assert signing.check_upload(key, encoded, sig, now=1_999) == policy
    with pytest.raises(signing.BadSignature, match="expired"):
        signing.check_upload(key, encoded, sig, now=2_001)
    forged = signing.UploadPolicy("tenants/t/documents/d/v1", 10**9, 2_000).encode()
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.check_upload(key, forged, sig, now=1_000)
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.check_upload(signing.derive_key("other" * 8), encoded, sig, now=1_000)
    dl = signing.sign_download(key, "k", 500, "a.pdf")
    signing.check_download(key, "k", 500, "a.pdf", dl, now=499)
    with pytest.raises(signing.BadSignature, match="expired"):
        signing.check_download(key, "k", 500, "a.pdf", dl, now=501)
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.check_download(key, "k2", 500, "a.pdf", dl, now=0)
