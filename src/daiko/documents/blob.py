"""The local folder store's presigned URLs, served by the API.

Public routes: the HMAC signature (`daiko.documents.signing`) is the credential, as a
presigned URL's is on S3. They answer 404 when the deployment stores in S3.

- `POST /documents/blob`: a browser's form upload (`key`, `policy`, `signature`, then
  `file`), refused unless signed, unexpired, for exactly the pinned key, and 1 byte to
  the policy's `max_size`.
- `GET /documents/blob/{key}`: the bytes, as an attachment, until the link expires.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.status_codes import HTTP_204_NO_CONTENT
from litestar.types import ControllerRouterHandler

from daiko.documents import signing
from daiko.documents.store import FolderStore, content_disposition
from daiko.documents.verify import MAX_UPLOAD_BYTES
from daiko.errors import DaikoError, InvalidInput, NotFound
from daiko.runtime import Runtime

PUBLIC = {"public": True}
# Room for the form fields around the largest file.
FORM_OVERHEAD = 64 * 1024


class SignatureRefused(DaikoError):
    status = 403
    slug = "bad-signature"
    title = "The link or upload form is not valid"


def _folder(runtime: Runtime) -> FolderStore:
    if not isinstance(runtime.store, FolderStore):
        raise NotFound("this deployment stores documents in S3")
    return runtime.store


@post(
    "/documents/blob",
    opt=PUBLIC,
    status_code=HTTP_204_NO_CONTENT,
    request_max_body_size=MAX_UPLOAD_BYTES + FORM_OVERHEAD,
    include_in_schema=False,
)
async def upload_blob(request: Request[Any, Any, Any], runtime: Runtime) -> None:
    store = _folder(runtime)
    form = await request.form()
    try:
        policy = signing.check_upload(
            store.signing_key, str(form.get("policy", "")), str(form.get("signature", ""))
        )
    except signing.BadSignature as exc:
        raise SignatureRefused(str(exc)) from None
    if form.get("key") != policy.key:
        raise SignatureRefused("the key is not the one the policy allows")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput.field("file", "a file field is required")
    data = await upload.read()
    if not data:
        raise InvalidInput.field("file", "the file is empty")
    if len(data) > policy.max_size:
        raise InvalidInput.field(
            "file", f"{len(data)} bytes is more than the {policy.max_size} bytes the policy allows"
        )
    await store.put(policy.key, data, upload.content_type or "application/octet-stream")


@get("/documents/blob/{key:path}", opt=PUBLIC, include_in_schema=False)
async def download_blob(
    runtime: Runtime, key: str, expires: int, signature: str, filename: str = ""
) -> Response[bytes]:
    store = _folder(runtime)
    object_key = key.lstrip("/")
    try:
        signing.check_download(store.signing_key, object_key, expires, filename, signature)
    except signing.BadSignature as exc:
        raise SignatureRefused(str(exc)) from None
    if not await store.exists(object_key):
        raise NotFound("no such object")
    data = await store.get(object_key)
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    if filename:
        headers["Content-Disposition"] = content_disposition(filename)
    return Response(data, media_type="application/octet-stream", headers=headers)


blob_routes: list[ControllerRouterHandler] = [upload_blob, download_blob]
