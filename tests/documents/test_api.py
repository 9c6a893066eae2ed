"""The documents API end to end on both stores (moto's S3 server over HTTP, and the
local folder store): upload through a presigned POST, complete, verification, receipt,
download (audited), versions, tampering, bad input, retention and legal hold, search.
Verification is run by calling the service (the worker's own path is in
test_worker.py)."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from typing import Any

from sqlalchemy import text

from daiko.documents.service import version_key
from daiko.documents.store import FolderStore
from tests.documents.conftest import PDF, Client, Flow, declared

CSV_CP932 = "日付,金額,取引先\r\n2024-03-31,12800,株式会社サンプル\r\n".encode("cp932")


def problem(r: Any) -> dict[str, Any]:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    body: dict[str, Any] = r.json()
    return body


async def count(flow: Flow, table: str) -> int:
    async with flow.owner.connect() as conn:
        return int((await conn.execute(text(f"select count(*) from {table}"))).scalar_one())


async def test_upload_verify_receipt_and_audited_download(flow: Flow) -> None:
    r = await flow.create(
        transaction_date="2024-03-31", amount=12_800, counterparty="株式会社サンプル"
    )
    assert r.status_code == 201, r.text
    started = r.json()
    doc_id = started["document"]["id"]
    key = version_key(flow.tenant, uuid.UUID(doc_id), 1)
    assert started["document"]["earliest_deletion_date"] == "2031-03-31"
    assert started["document"]["amount"] == 12_800
    assert (started["version"]["n"], started["version"]["status"]) == (1, "pending")
    assert started["upload"]["fields"]["key"] == key
    assert started["upload"]["max_size"] == len(PDF)

    assert (await flow.send_bytes(started["upload"], PDF)).status_code in (200, 201, 204)
    assert await flow.store.get(key) == PDF
    r = await flow.complete(doc_id)
    assert r.status_code == 202, r.text
    assert r.json()["version"]["status"] == "uploaded"
    async with flow.owner.connect() as conn:
        job = (
            await conn.execute(
                text("select kind, status, payload from jobs where id = :id"),
                {"id": r.json()["job_id"]},
            )
        ).one()
        queue = (await conn.execute(text("select queue, actor from outbox"))).one()
    assert tuple(job) == ("document_verify", "queued", {"document_id": doc_id, "n": 1})
    assert tuple(queue) == ("documents", "job_document_verify")
    # A second completion is refused: the version is no longer pending.
    again = await flow.complete(doc_id)
    assert (again.status_code, problem(again)["type"]) == (
        409,
        "urn:daiko:problem:version-not-ready",
    )

    version = await flow.verify(doc_id)
    assert (version.status, version.sniffed_type, version.quarantine_reason) == (
        "verified",
        "application/pdf",
        None,
    )

    r = await flow.client.get(f"/api/v1/documents/{doc_id}/versions/1/receipt")
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert {k: receipt[k] for k in ("n", "filename", "size", "sha256", "content_type")} == {
        "n": 1,
        "filename": "領収書.pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "content_type": "application/pdf",
    }
    assert receipt["verified_at"] is not None
    page = await flow.client.get(f"/documents/{doc_id}/versions/1/receipt")
    assert page.status_code == 200
    assert "受領証" in page.text and "Receipt" in page.text
    assert hashlib.sha256(PDF).hexdigest() in page.text and "領収書.pdf" in page.text

    r = await flow.client.get(f"/api/v1/documents/{doc_id}/versions/1/download?redirect=false")
    assert r.status_code == 200, r.text
    assert r.json()["expires_in"] == 60
    got = await flow.fetch(r.json()["url"])
    assert got.status_code == 200, got.text
    assert got.content == PDF
    assert "filename*=UTF-8''%E9%A0%98%E5%8F%8E%E6%9B%B8.pdf" in got.headers["content-disposition"]
    r = await flow.client.get(f"/api/v1/documents/{doc_id}/versions/1/download")
    assert r.status_code == 303
    assert (await flow.fetch(r.headers["location"])).content == PDF

    events = await flow.audit()
    assert [a for a, _ in events] == [
        "document.created",
        "document.verified",
        "document.downloaded",
        "document.downloaded",
    ]
    assert events[2][1] == {
        "n": 1,
        "filename": "領収書.pdf",
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "classification": "receipt",
        "status": "verified",
    }


async def test_tampered_object_is_quarantined_and_not_served_to_clients(
    flow: Flow, as_user: Client
) -> None:
    r = await flow.create()
    started = r.json()
    doc_id = started["document"]["id"]
    await flow.send_bytes(started["upload"], PDF)
    assert (await flow.complete(doc_id)).status_code == 202
    # Someone with access to the bucket swaps the bytes (same length) before the check.
    tampered = PDF.replace(b"obj", b"OBJ")
    key = version_key(flow.tenant, uuid.UUID(doc_id), 1)
    await flow.store.put(key, tampered)
    version = await flow.verify(doc_id)
    assert version.status == "quarantined"
    assert version.quarantine_reason == (
        f"SHA-256 mismatch: declared {hashlib.sha256(PDF).hexdigest()}, "
        f"stored {hashlib.sha256(tampered).hexdigest()}"
    )
    r = await flow.client.get(f"/api/v1/documents/{doc_id}/versions/1/download")
    assert r.status_code == 409
    assert problem(r)["detail"] == (
        "version 1 is quarantined; only verified versions can be downloaded"
    )
    r = await flow.client.get(f"/api/v1/documents/{doc_id}/versions/1/receipt")
    assert r.status_code == 409
    # An operator may fetch it to investigate; that read is audited like any other.
    operator = await as_user(flow.world.operator)
    r = await operator.get(f"/api/v1/documents/{doc_id}/versions/1/download?redirect=false")
    assert r.status_code == 200, r.text
    assert (await flow.fetch(r.json()["url"])).content == tampered
    assert [a for a, _ in await flow.audit()][-2:] == [
        "document.quarantined",
        "document.downloaded",
    ]


async def test_content_checks_quarantine_with_the_reason(flow: Flow) -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00" * 8
    _, v = await flow.upload(exe, filename="invoice.pdf", ct="application/pdf")
    assert (v.status, v.quarantine_reason) == (
        "quarantined",
        "file type refused: not a known file type (not text in UTF-8 or Shift_JIS)",
    )
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    _, v = await flow.upload(png, filename="scan.pdf", ct="application/pdf")
    assert (
        v.quarantine_reason == "declared content type application/pdf but the content is image/png"
    )

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\x00" * (10 * 1024 * 1024))
    bomb = buf.getvalue()
    info = zipfile.ZipFile(io.BytesIO(bomb)).infolist()[0]
    _, v = await flow.upload(bomb, filename="bundle.zip", ct="application/zip")
    assert v.quarantine_reason == (
        f"archive entry 'zeros.bin' has compression ratio "
        f"{info.file_size / info.compress_size:.0f}:1 (limit 100:1, zip bomb)"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../outside.txt", b"x")
    _, v = await flow.upload(buf.getvalue(), filename="bundle.zip", ct="application/zip")
    assert v.quarantine_reason == "archive entry '../../outside.txt' escapes the archive (..)"


async def test_cp932_csv_is_accepted(flow: Flow) -> None:
    _, v = await flow.upload(CSV_CP932, filename="勤怠_2024年3月.csv", ct="text/csv")
    assert (v.status, v.sniffed_type, v.filename) == (
        "verified",
        "text/csv; charset=cp932",
        "勤怠_2024年3月.csv",
    )


async def test_bad_declarations_are_refused_and_change_nothing(flow: Flow) -> None:
    big = {
        "filename": "a.pdf",
        "size": 50 * 1024 * 1024 + 1,
        "sha256": "0" * 64,
        "content_type": "application/pdf",
    }
    cases = [
        (
            {**declared(PDF, "a.pdf", "application/pdf"), "size": 0},
            "file.size",
            "the file is empty",
        ),
        (big, "file.size", "52428801 bytes is over the limit of 52428800 bytes"),
        (
            declared(PDF, "a.exe", "application/x-msdownload"),
            "file.content_type",
            "application/x-msdownload is not an accepted type "
            "(PDF, PNG, JPEG, HEIC/HEIF, CSV, TSV, XLSX, ZIP)",
        ),
        (
            declared(PDF, "../../etc/passwd", "application/pdf"),
            "file.filename",
            "must not contain a path (/ or \\)",
        ),
        (
            declared(PDF, "..\\..\\boot.ini", "application/pdf"),
            "file.filename",
            "must not contain a path (/ or \\)",
        ),
    ]
    for file, field, reason in cases:
        r = await flow.client.post(
            "/api/v1/documents",
            json={
                "tenant_id": str(flow.tenant),
                "title": "x",
                "classification": "receipt",
                "retention_class": "general",
                "file": file,
            },
        )
        assert r.status_code == 422, r.text
        body = problem(r)
        assert (body["type"], body["errors"]) == (
            "urn:daiko:problem:invalid-input",
            [{"field": field, "reason": reason}],
        )
    assert await count(flow, "documents") == 0
    assert await count(flow, "document_versions") == 0
    assert await count(flow, "jobs") == 0


async def test_complete_without_bytes_is_refused(flow: Flow) -> None:
    doc_id = (await flow.create()).json()["document"]["id"]
    r = await flow.complete(doc_id)
    assert r.status_code == 409
    assert problem(r)["detail"] == "nothing has been uploaded for version 1 yet"
    assert await count(flow, "jobs") == 0


async def test_new_versions_keep_the_old_ones(flow: Flow) -> None:
    doc_id, _ = await flow.upload()
    v2 = PDF + b"% revised\n"
    r = await flow.client.post(
        f"/api/v1/documents/{doc_id}/versions",
        json=declared(v2, "領収書_修正.pdf", "application/pdf"),
    )
    assert r.status_code == 201, r.text
    started = r.json()
    assert (started["version"]["n"], started["upload"]["fields"]["key"]) == (
        2,
        version_key(flow.tenant, uuid.UUID(doc_id), 2),
    )
    await flow.send_bytes(started["upload"], v2)
    assert (await flow.complete(doc_id, 2)).status_code == 202
    assert (await flow.verify(doc_id, 2)).status == "verified"
    r = await flow.client.get(f"/api/v1/documents/{doc_id}")
    doc = r.json()
    assert [(v["n"], v["status"], v["filename"], v["size"]) for v in doc["versions"]] == [
        (1, "verified", "領収書.pdf", len(PDF)),
        (2, "verified", "領収書_修正.pdf", len(v2)),
    ]
    assert doc["latest_version"] == 2
    assert await flow.store.get(version_key(flow.tenant, uuid.UUID(doc_id), 1)) == PDF
    r = await flow.client.post(
        f"/api/v1/documents/{doc_id}/versions", json=declared(v2, "a/b.pdf", "application/pdf")
    )
    assert problem(r)["errors"] == [
        {"field": "filename", "reason": "must not contain a path (/ or \\)"}
    ]


async def test_content_through_the_api_is_size_capped_and_checksummed(flow: Flow) -> None:
    r = await flow.create(CSV_CP932, filename="勤怠.csv", ct="text/csv")
    doc_id = r.json()["document"]["id"]
    url = f"/api/v1/documents/{doc_id}/versions/1/content"
    r = await flow.client.put(url, content=CSV_CP932 + b"x")
    assert r.status_code == 413
    assert problem(r)["errors"] == [
        {"field": "content", "reason": f"larger than the declared size of {len(CSV_CP932)} bytes"}
    ]
    other = CSV_CP932.replace("サ".encode("cp932"), "ナ".encode("cp932"))
    r = await flow.client.put(url, content=other)
    assert r.status_code == 422
    assert problem(r)["errors"][0]["reason"] == (
        f"SHA-256 mismatch: declared {hashlib.sha256(CSV_CP932).hexdigest()}, "
        f"received {hashlib.sha256(other).hexdigest()}"
    )
    key = version_key(flow.tenant, uuid.UUID(doc_id), 1)
    assert await flow.store.exists(key) is False
    r = await flow.client.put(url, content=CSV_CP932, headers={"content-type": "text/csv"})
    assert r.status_code == 202, r.text
    assert await flow.store.get(key) == CSV_CP932
    assert (await flow.verify(doc_id)).status == "verified"


async def test_retention_blocks_deletion_with_the_date(flow: Flow) -> None:
    doc_id, _ = await flow.upload(transaction_date="2024-03-31")
    r = await flow.client.delete(f"/api/v1/documents/{doc_id}")
    assert r.status_code == 409
    body = problem(r)
    assert (body["type"], body["earliest_deletion_date"], body["detail"]) == (
        "urn:daiko:problem:retention-period",
        "2031-03-31",
        "bookkeeping_evidence documents may be deleted from 2031-03-31",
    )
    payroll, _ = await flow.upload(
        retention_class="payroll_record", classification="payslip", transaction_date="2024-02-29"
    )
    r = await flow.client.delete(f"/api/v1/documents/{payroll}")
    assert problem(r)["earliest_deletion_date"] == "2029-02-28"
    assert (await flow.client.get(f"/api/v1/documents/{doc_id}")).status_code == 200


async def test_legal_hold_blocks_deletion_until_the_lead_clears_it(
    flow: Flow, as_user: Client
) -> None:
    doc_id, _ = await flow.upload(retention_class="general")
    hold = f"/api/v1/documents/{doc_id}/legal-hold"
    admin = await as_user(flow.world.tenant_a.users["client_admin"])
    r = await admin.put(hold, json={"legal_hold": True, "reason": "x"})
    # The policy names the action (documents:hold is the lead's alone) before the route runs.
    assert (r.status_code, problem(r)["detail"]) == (403, "documents:hold is not allowed")
    lead = await as_user(flow.world.lead)
    r = await lead.put(hold, json={"legal_hold": True})
    assert problem(r)["errors"] == [{"field": "reason", "reason": "a legal hold needs a reason"}]
    r = await lead.put(hold, json={"legal_hold": True, "reason": "税務調査 2025"})
    assert (r.status_code, r.json()["legal_hold"], r.json()["legal_hold_reason"]) == (
        200,
        True,
        "税務調査 2025",
    )
    r = await flow.client.delete(f"/api/v1/documents/{doc_id}")
    assert (r.status_code, problem(r)["type"], problem(r)["legal_hold_reason"]) == (
        409,
        "urn:daiko:problem:legal-hold",
        "税務調査 2025",
    )
    r = await lead.put(hold, json={"legal_hold": False})
    assert r.json()["legal_hold"] is False
    key = version_key(flow.tenant, uuid.UUID(doc_id), 1)
    assert await flow.store.exists(key) is True
    r = await flow.client.delete(f"/api/v1/documents/{doc_id}")
    assert r.status_code == 204, r.text
    assert await flow.store.exists(key) is False
    assert (await flow.client.get(f"/api/v1/documents/{doc_id}")).status_code == 404
    assert [a for a, _ in await flow.audit()][-3:] == [
        "document.legal_hold_set",
        "document.legal_hold_cleared",
        "document.deleted",
    ]


async def test_search_by_book_keeping_fields_with_cursor(flow: Flow) -> None:
    specs = [
        ("receipt", "2024-03-01", 1_000, "株式会社アルファ"),
        ("receipt", "2024-03-15", 55_000, "ベータ商事"),
        ("bank_statement", "2024-04-01", 2_000_000, "みずほ銀行"),
        ("receipt", "2024-05-20", 12_800, "アルファ物産"),
    ]
    ids = []
    for cls, day, amount, who in specs:
        r = await flow.create(
            classification=cls, transaction_date=day, amount=amount, counterparty=who, title=who
        )
        ids.append(r.json()["document"]["id"])

    async def titles(query: str) -> list[str]:
        r = await flow.client.get(f"/api/v1/documents?{query}")
        assert r.status_code == 200, r.text
        return [d["title"] for d in r.json()["items"]]

    assert await titles("classification=receipt") == [
        "アルファ物産",
        "ベータ商事",
        "株式会社アルファ",
    ]
    assert await titles("transaction_date_from=2024-03-10&transaction_date_to=2024-04-30") == [
        "みずほ銀行",
        "ベータ商事",
    ]
    assert await titles("amount_min=10000&amount_max=100000") == ["アルファ物産", "ベータ商事"]
    assert await titles("counterparty=アルファ") == ["アルファ物産", "株式会社アルファ"]
    assert await titles("counterparty=%25") == []
    r = await flow.client.get("/api/v1/documents?limit=3")
    first = r.json()
    assert [d["id"] for d in first["items"]] == ids[::-1][:3]
    assert first["items"][0]["latest_version"] == 1
    r = await flow.client.get(f"/api/v1/documents?limit=3&cursor={first['next_cursor']}")
    assert ([d["id"] for d in r.json()["items"]], r.json()["next_cursor"]) == ([ids[0]], None)
    r = await flow.client.get("/api/v1/documents?classification=invoice")
    assert problem(r)["errors"][0]["field"] == "classification"


async def test_another_tenant_sees_nothing(flow: Flow, as_user: Client) -> None:
    doc_id, _ = await flow.upload()
    b = await as_user(flow.world.tenant_b.users["client_admin"])
    for path in (
        f"/api/v1/documents/{doc_id}",
        f"/api/v1/documents/{doc_id}/versions/1/receipt",
        f"/api/v1/documents/{doc_id}/versions/1/download",
    ):
        r = await b.get(path)
        assert (r.status_code, problem(r)["type"]) == (404, "urn:daiko:problem:not-found"), path
    assert (await b.get("/api/v1/documents")).json() == {"items": [], "next_cursor": None}
    r = await flow.client.post(
        "/api/v1/documents",
        json={
            "tenant_id": str(flow.world.tenant_b.id),
            "title": "x",
            "classification": "receipt",
            "retention_class": "general",
            "file": declared(PDF, "a.pdf", "application/pdf"),
        },
    )
    assert r.status_code == 404
    viewer = await as_user(flow.world.tenant_a.users["client_viewer"])
    assert (await viewer.delete(f"/api/v1/documents/{doc_id}")).status_code == 403


async def test_folder_store_links_are_signed_capped_and_expire(flow: Flow) -> None:
    if not isinstance(flow.store, FolderStore):
        return  # S3 keeps these promises itself
    started = (await flow.create()).json()
    upload = started["upload"]
    r = await flow.send_bytes(upload, PDF + b"more")
    assert (r.status_code, problem(r)["errors"]) == (
        422,
        [
            {
                "field": "file",
                "reason": f"{len(PDF) + 4} bytes is more than the {len(PDF)} bytes the policy allows",
            }
        ],
    )
    other_key = {**upload, "fields": {**upload["fields"], "key": "tenants/x/documents/y/v1"}}
    r = await flow.send_bytes(other_key, PDF)
    assert (r.status_code, problem(r)["detail"]) == (
        403,
        "the key is not the one the policy allows",
    )
    forged = {**upload, "fields": {**upload["fields"], "signature": "0" * 64}}
    r = await flow.send_bytes(forged, PDF)
    assert (r.status_code, problem(r)["detail"]) == (403, "upload policy signature does not match")
    assert await flow.store.exists(upload["fields"]["key"]) is False
    assert (await flow.send_bytes(upload, PDF)).status_code == 204

    doc_id = started["document"]["id"]
    await flow.complete(doc_id)
    await flow.verify(doc_id)
    url = (
        await flow.client.get(f"/api/v1/documents/{doc_id}/versions/1/download?redirect=false")
    ).json()["url"]
    assert (await flow.fetch(url)).status_code == 200
    r = await flow.fetch(url.replace("filename=", "filename=x"))
    assert (r.status_code, problem(r)["detail"]) == (403, "download signature does not match")
    key = version_key(flow.tenant, uuid.UUID(doc_id), 1)
    expired = await flow.store.presign_get(key, expires=-1, filename="領収書.pdf")
    r = await flow.fetch(expired)
    assert (r.status_code, problem(r)["detail"]) == (403, "download link has expired")
