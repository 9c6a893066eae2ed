"""`DocumentStore`: where document bytes live, chosen by `DAIKO_STORAGE_URL`.

- `s3://bucket?endpoint=http://…&region=…`: S3 or any S3 API (MinIO, R2) through boto3,
  SigV4, server-side encryption (AES256) on every object.
- `file:///path` (the embedded default, `.daiko/documents`): a local folder.

boto3 is synchronous: the async methods run it in a worker thread, never on the event loop.
Keys are always `tenants/<tenant_id>/…`; `tenant_key` builds them.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import anyio.to_thread

from daiko.config import DEV_SECRET_KEY, Settings
from daiko.documents import signing


def tenant_key(tenant_id: uuid.UUID, *parts: str) -> str:
    for part in parts:
        if not part or ".." in part.split("/") or part.startswith("/"):
            raise ValueError(f"bad key part {part!r}")
    return "/".join(("tenants", str(tenant_id), *parts))


def content_disposition(filename: str) -> str:
    """`attachment` with the name in RFC 6266/5987 form, so Japanese names survive and
    no quote or semicolon in a name can break the header."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


class StreamUpload(ABC):
    """Bytes written as they arrive; invisible under their key until `commit`, and gone
    without trace after `abort` (so a refused upload leaves nothing half-written)."""

    @abstractmethod
    async def write(self, chunk: bytes) -> None: ...

    @abstractmethod
    async def commit(self) -> None: ...

    @abstractmethod
    async def abort(self) -> None: ...


class DocumentStore(ABC):
    @abstractmethod
    async def open_upload(
        self, key: str, content_type: str = "application/octet-stream"
    ) -> StreamUpload:
        """Start a streamed write of `key` (API uploads: never the whole body in memory)."""

    @abstractmethod
    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None: ...

    @abstractmethod
    async def get(self, key: str) -> bytes: ...

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    async def delete(self, key: str) -> None: ...

    @abstractmethod
    async def presign_get(
        self, key: str, *, expires: int = 60, filename: str | None = None
    ) -> str: ...

    @abstractmethod
    async def presign_post(
        self, key: str, *, max_size: int, expires: int = 600
    ) -> PresignedPost: ...

    @abstractmethod
    async def check(self) -> None:
        """Raise if the store cannot be written and read (the readiness probe)."""

    async def stat(self, key: str) -> StoredObject:
        data = await self.get(key)
        return StoredObject(key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest())


class FolderStore(DocumentStore):
    """Bytes in a local folder. Presigned URLs point at the API's own routes
    (`/documents/blob`, in `daiko.documents.api`), which check an HMAC signature with an
    expiry and, for uploads, the pinned key and the size cap, as S3 would."""

    BLOB_PATH = "/documents/blob"

    def __init__(
        self, root: Path, base_url: str = "http://127.0.0.1:8000", secret: str = DEV_SECRET_KEY
    ) -> None:
        self.root = root.resolve()
        self.base_url = base_url.rstrip("/")
        self.signing_key = signing.derive_key(secret)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"key escapes the store: {key!r}")
        return path

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)

        await anyio.to_thread.run_sync(write)

    async def open_upload(
        self, key: str, content_type: str = "application/octet-stream"
    ) -> StreamUpload:
        path = self._path(key)

        def start() -> _FileUpload:
            path.parent.mkdir(parents=True, exist_ok=True)
            return _FileUpload(path)

        return await anyio.to_thread.run_sync(start)

    async def get(self, key: str) -> bytes:
        return await anyio.to_thread.run_sync(self._path(key).read_bytes)

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(lambda: self._path(key).unlink(missing_ok=True))

    async def presign_get(self, key: str, *, expires: int = 60, filename: str | None = None) -> str:
        until = int(time.time()) + expires
        name = filename or ""
        query = urlencode(
            {
                "expires": until,
                "filename": name,
                "signature": signing.sign_download(self.signing_key, key, until, name),
            }
        )
        return f"{self.base_url}{self.BLOB_PATH}/{quote(key)}?{query}"

    async def presign_post(self, key: str, *, max_size: int, expires: int = 600) -> PresignedPost:
        policy = signing.UploadPolicy(key, max_size, int(time.time()) + expires)
        encoded, signature = signing.sign_upload(self.signing_key, policy)
        return PresignedPost(
            url=f"{self.base_url}{self.BLOB_PATH}",
            fields={"key": key, "policy": encoded, "signature": signature},
        )

    async def check(self) -> None:
        probe = self.root / ".health"

        def touch() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
            if probe.read_bytes() != b"ok":
                raise OSError("read back differs")

        await anyio.to_thread.run_sync(touch)


class S3Store(DocumentStore):
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "ap-northeast-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        sse: bool = True,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.sse = sse
        # Built at start-up, not per call: a boto3 client is thread-safe and costly to make.
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=3,
                read_timeout=30,
            ),
        )

    def _sse(self) -> dict[str, str]:
        return {"ServerSideEncryption": "AES256"} if self.sse else {}

    def sse_args(self) -> dict[str, str]:
        return self._sse()

    async def open_upload(
        self, key: str, content_type: str = "application/octet-stream"
    ) -> StreamUpload:
        return _S3Upload(self, key, content_type)

    async def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **self._sse()
            )
        )

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            return body

        return await anyio.to_thread.run_sync(read)

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        def head() -> bool:
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                    return False
                raise
            return True

        return await anyio.to_thread.run_sync(head)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.client.delete_object(Bucket=self.bucket, Key=key)
        )

    async def presign_get(self, key: str, *, expires: int = 60, filename: str | None = None) -> str:
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)

        def sign() -> str:
            url: str = self.client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires
            )
            return url

        return await anyio.to_thread.run_sync(sign)

    async def presign_post(self, key: str, *, max_size: int, expires: int = 600) -> PresignedPost:
        fields = dict(self._sse())
        conditions: list[Any] = [["content-length-range", 1, max_size], {"key": key}]
        conditions += [{k: v} for k, v in fields.items()]

        def sign() -> PresignedPost:
            post = self.client.generate_presigned_post(
                self.bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires
            )
            return PresignedPost(url=post["url"], fields=dict(post["fields"]))

        return await anyio.to_thread.run_sync(sign)

    async def check(self) -> None:
        await anyio.to_thread.run_sync(lambda: self.client.head_bucket(Bucket=self.bucket))


def build_store(settings: Settings) -> DocumentStore:
    url = settings.storage_url or (settings.data_dir.resolve() / "documents").as_uri()
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FolderStore(
            Path(unquote(parts.path)), settings.base_url, settings.secret_key.get_secret_value()
        )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return S3Store(
        parts.hostname or parts.netloc,
        endpoint_url=query.get("endpoint"),
        region=query.get("region", "ap-northeast-1"),
        access_key=unquote(parts.username) if parts.username else None,
        secret_key=unquote(parts.password) if parts.password else None,
        sse=query.get("sse", "true").lower() != "false",
    )


class _FileUpload(StreamUpload):
    """A `.part` file beside the target, renamed into place on commit (atomic)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        self.fh: BinaryIO = self.tmp.open("wb")

    async def write(self, chunk: bytes) -> None:
        await anyio.to_thread.run_sync(self.fh.write, chunk)

    async def commit(self) -> None:
        def finish() -> None:
            self.fh.close()
            self.tmp.replace(self.path)

        await anyio.to_thread.run_sync(finish)

    async def abort(self) -> None:
        def drop() -> None:
            self.fh.close()
            self.tmp.unlink(missing_ok=True)

        await anyio.to_thread.run_sync(drop)


class _S3Upload(StreamUpload):
    """S3 multipart upload in parts of `PART_SIZE` (S3's minimum is 5 MiB): nothing is
    visible under the key until `complete_multipart_upload`, and `abort` discards the
    parts. A body smaller than one part becomes a single `put_object` on commit."""

    PART_SIZE = 8 * 1024 * 1024

    def __init__(self, store: S3Store, key: str, content_type: str) -> None:
        self.store = store
        self.key = key
        self.content_type = content_type
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    async def _flush(self) -> None:
        client, bucket, key = self.store.client, self.store.bucket, self.key
        data, self.buffer = bytes(self.buffer), bytearray()
        if self.upload_id is None:
            created = await anyio.to_thread.run_sync(
                lambda: client.create_multipart_upload(
                    Bucket=bucket, Key=key, ContentType=self.content_type, **self.store.sse_args()
                )
            )
            self.upload_id = str(created["UploadId"])
        number, upload_id = len(self.parts) + 1, self.upload_id
        sent = await anyio.to_thread.run_sync(
            lambda: client.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
            )
        )
        self.parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    async def write(self, chunk: bytes) -> None:
        self.buffer += chunk
        if len(self.buffer) >= self.PART_SIZE:
            await self._flush()

    async def commit(self) -> None:
        if self.upload_id is None:
            await self.store.put(self.key, bytes(self.buffer), self.content_type)
            return
        if self.buffer:
            await self._flush()
        client, bucket, key = self.store.client, self.store.bucket, self.key
        upload_id, parts = self.upload_id, list(self.parts)
        await anyio.to_thread.run_sync(
            lambda: client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        )

    async def abort(self) -> None:
        self.buffer = bytearray()
        if self.upload_id is not None:
            client, bucket, key, upload_id = (
                self.store.client,
                self.store.bucket,
                self.key,
                self.upload_id,
            )
            await anyio.to_thread.run_sync(
                lambda: client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            )
