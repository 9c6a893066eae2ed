"""Webhook signing (Standard Webhooks), the SSRF guard, and one delivery attempt.

Signing: `webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>` keyed
with the base64 part of the `whsec_…` secret. During a rotation the message carries one
signature per live secret, space-separated, so a receiver holding either verifies it.

SSRF: a target's host is resolved and every address must be public (not private,
loopback, link-local, multicast, reserved, unspecified, shared or IPv4-mapped into any
of those). The check runs when a subscription is saved AND before every attempt, and
the attempt connects to the very address that was checked (the Host header and TLS SNI
keep the name), so a DNS answer that changes between check and connect (rebinding)
cannot redirect a delivery inside the network. `DAIKO_WEBHOOKS_ALLOW_LOOPBACK` admits
loopback targets for local development only. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from daiko.config import Settings, get_settings

SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)
SIGNATURE_VERSION = "v1"
EXCERPT_CHARS = 1000
USER_AGENT = "Daiko-Webhooks/1"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT

_settings_provider: list[Callable[[], Settings]] = []


def use_settings_provider(provider: Callable[[], Settings] | None) -> None:
    """Point deliveries at these settings (tests); by default the process's own."""
    _settings_provider.clear()
    if provider is not None:
        _settings_provider.append(provider)


def delivery_settings() -> Settings:
    return _settings_provider[0]() if _settings_provider else get_settings()


# --- signing ----------------------------------------------------------------------------


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def signature_header(secrets_: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets_)


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance: int = 300) -> bool:
    """Our own verifier (the tests use an independent one): any signature matches and
    the timestamp is within `tolerance` seconds."""
    msg_id = headers["webhook-id"]
    ts = int(headers["webhook-timestamp"])
    if abs(time.time() - ts) > tolerance:
        return False
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
    for part in headers["webhook-signature"].split():
        version, _, sig = part.partition(",")
        if version == SIGNATURE_VERSION and hmac.compare_digest(sig, expected):
            return True
    return False


# --- SSRF guard -----------------------------------------------------------------------------


class UnsafeTarget(ValueError):
    """The URL may not receive webhooks; `str()` says why, for a 422 or an attempt log."""


def address_refusal(ip: IPAddress, *, allow_loopback: bool) -> str | None:
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        return address_refusal(mapped, allow_loopback=allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved address"
    return None


def parse_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL shape, or `UnsafeTarget`."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise UnsafeTarget("must be an https:// (or http://) URL")
    if parts.username or parts.password:
        raise UnsafeTarget("must not carry credentials")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("names no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("has an invalid port") from None
    return parts.scheme, host, port


Resolver = Callable[[str, int], Awaitable[list[tuple[Any, ...]]]]
RESOLVE_SECONDS = 3.0


async def _system_resolver(host: str, port: int) -> list[tuple[Any, ...]]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(infos)


_resolver: list[Resolver] = [_system_resolver]


def use_resolver(resolver: Resolver | None) -> None:
    """Replace name resolution (tests: hermetic, no DNS traffic); None restores it."""
    _resolver[0] = resolver or _system_resolver


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            infos = await _resolver[0](host, port)
    except (OSError, TimeoutError):
        raise UnsafeTarget(f"host {host!r} does not resolve") from None
    out: list[IPAddress] = []
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if addr not in out:
            out.append(addr)
    if not out:
        raise UnsafeTarget(f"host {host!r} does not resolve")
    return out


async def check_target(url: str, *, allow_loopback: bool) -> IPAddress:
    """Resolve the URL's host; refuse it unless every address is acceptable. Returns
    the address to connect to."""
    _, host, port = parse_target(url)
    addresses = await resolve(host, port)
    for ip in addresses:
        why = address_refusal(ip, allow_loopback=allow_loopback)
        if why is not None:
            raise UnsafeTarget(f"resolves to {why} ({ip}); webhooks go to public addresses only")
    return addresses[0]


# --- one attempt -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str | None
    excerpt: str | None


def payload_body(event_type: str, timestamp: str, data: dict[str, Any]) -> bytes:
    """The Standard Webhooks payload shape: type, timestamp, data."""
    return json.dumps(
        {"type": event_type, "timestamp": timestamp, "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


async def send(
    url: str,
    body: bytes,
    *,
    msg_id: str,
    secrets_: Sequence[str],
    allow_loopback: bool,
    timeout: float,  # noqa: ASYNC109  (the HTTP client's, per request phase)
    timestamp: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AttemptResult:
    started = time.perf_counter()

    def took() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        ip = await check_target(url, allow_loopback=allow_loopback)
    except UnsafeTarget as exc:
        return AttemptResult(False, None, took(), f"refused: {exc}", None)
    ts = int(time.time()) if timestamp is None else timestamp
    scheme, host, port = parse_target(url)
    parts = urlsplit(url)
    netloc_ip = f"[{ip}]" if ip.version == 6 else str(ip)
    pinned = urlunsplit((scheme, f"{netloc_ip}:{port}", parts.path or "/", parts.query, ""))
    default_port = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
    headers = {
        "host": host if default_port else f"{host}:{port}",
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": signature_header(secrets_, msg_id, ts, body),
    }
    try:
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, transport=transport
        ) as client:
            response = await client.post(
                pinned, content=body, headers=headers, extensions={"sni_hostname": host}
            )
            text = response.text[:EXCERPT_CHARS]
    except httpx.TimeoutException:
        return AttemptResult(False, None, took(), f"timed out after {timeout:g} s", None)
    except httpx.HTTPError as exc:
        return AttemptResult(False, None, took(), f"{type(exc).__name__}: {exc}"[:500], None)
    ok = 200 <= response.status_code < 300
    error = None if ok else f"the receiver answered {response.status_code}"
    return AttemptResult(ok, response.status_code, took(), error, text)
