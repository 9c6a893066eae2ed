"""Signed, expiring URLs for the local folder store: the same promises S3's presigned
POST and GET make, kept by the API's own `/documents/blob` routes.

- Upload: a policy `{key, max_size, expires}` (base64url JSON) and its HMAC-SHA256. The
  route refuses another key, a body over `max_size` or empty, and an expired policy.
- Download: `expires` and the attachment file name, HMAC-signed with the key.

The HMAC key is derived from `DAIKO_SECRET_KEY` for this purpose only, so a blob
signature can never stand in for a session or CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass


class BadSignature(Exception):
    """The URL or form was not signed by us, was altered, or has expired."""


def derive_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"daiko.documents.blob-url.v1", hashlib.sha256).digest()


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class UploadPolicy:
    key: str
    max_size: int
    expires: int

    def encode(self) -> str:
        body = json.dumps(
            {"key": self.key, "max_size": self.max_size, "expires": self.expires},
            separators=(",", ":"),
            sort_keys=True,
        )
        return base64.urlsafe_b64encode(body.encode()).decode()


def sign_upload(key: bytes, policy: UploadPolicy) -> tuple[str, str]:
    """The form fields `policy` and `signature` a browser posts with the file."""
    encoded = policy.encode()
    return encoded, _mac(key, "POST\n" + encoded)


def check_upload(
    key: bytes, encoded: str, signature: str, now: float | None = None
) -> UploadPolicy:
    if not hmac.compare_digest(_mac(key, "POST\n" + encoded), signature):
        raise BadSignature("upload policy signature does not match")
    try:
        raw = json.loads(base64.urlsafe_b64decode(encoded.encode()))
        policy = UploadPolicy(str(raw["key"]), int(raw["max_size"]), int(raw["expires"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadSignature("upload policy is malformed") from exc
    if (now if now is not None else time.time()) > policy.expires:
        raise BadSignature("upload policy has expired")
    return policy


def sign_download(key: bytes, object_key: str, expires: int, filename: str) -> str:
    return _mac(key, f"GET\n{object_key}\n{expires}\n{filename}")


def check_download(
    key: bytes,
    object_key: str,
    expires: int,
    filename: str,
    signature: str,
    now: float | None = None,
) -> None:
    if not hmac.compare_digest(sign_download(key, object_key, expires, filename), signature):
        raise BadSignature("download signature does not match")
    if (now if now is not None else time.time()) > expires:
        raise BadSignature("download link has expired")
