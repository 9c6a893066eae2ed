"""Streamed writes: invisible until commit, gone after abort, on both stores (moto's S3
over HTTP with a real multipart upload, and the local folder)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from daiko.documents.store import DocumentStore, FolderStore, S3Store
from daiko.runtime import Runtime

BIG = bytes(range(256)) * (9 * 1024 * 4 + 17)  # a little over 9 MiB: two multipart parts


@pytest.fixture(params=["s3", "folder"])
def store(request: pytest.FixtureRequest, runtime: Runtime, tmp_path: Path) -> DocumentStore:
    if request.param == "s3":
        assert isinstance(runtime.store, S3Store)
        return runtime.store
    return FolderStore(tmp_path / "docs")


async def test_commit_makes_the_whole_body_visible(store: DocumentStore) -> None:
    key = f"tenants/{uuid.uuid4()}/documents/x/v1"
    upload = await store.open_upload(key, "application/pdf")
    for i in range(0, len(BIG), 1_000_003):
        await upload.write(BIG[i : i + 1_000_003])
        assert not await store.exists(key)  # nothing under the key before commit
    await upload.commit()
    stored = await store.get(key)
    assert (len(stored), hashlib.sha256(stored).hexdigest()) == (
        len(BIG),
        hashlib.sha256(BIG).hexdigest(),
    )


async def test_small_body_commits_too(store: DocumentStore) -> None:
    key = f"tenants/{uuid.uuid4()}/documents/x/v1"
    upload = await store.open_upload(key)
    await upload.write(b"%PDF-1.7 small")
    await upload.commit()
    assert await store.get(key) == b"%PDF-1.7 small"


async def test_abort_leaves_nothing(store: DocumentStore, tmp_path: Path) -> None:
    key = f"tenants/{uuid.uuid4()}/documents/x/v1"
    upload = await store.open_upload(key)
    await upload.write(BIG)  # past one part: a multipart upload exists on S3
    await upload.abort()
    assert not await store.exists(key)
    if isinstance(store, S3Store):
        pending = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=key)
        assert pending.get("Uploads", []) == []
    else:
        assert list((tmp_path / "docs").rglob("*.part")) == []
