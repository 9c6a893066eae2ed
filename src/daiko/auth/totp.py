"""Second factor: TOTP (RFC 6238) and one-time recovery codes.

Why this shape:

- Parameters are the ones every authenticator app supports without asking: SHA1,
  6 digits, 30-second steps. (SHA1 is fine inside HMAC; apps silently ignore SHA256.)
- Time is a parameter (`at`), never read from the system clock here, so tests pin it
  and the caller decides which clock is authoritative.
- A code is accepted one step early or late (phone clocks drift, people type slowly),
  and `verify` returns the matched step. The caller stores it and passes it back as
  `last_used_step`: a code, once used, cannot be replayed by someone watching the
  screen, even inside its 90-second window (RFC 6238 §5.2).
- Recovery codes are stored as SHA-256 hex digests, not argon2: they carry 60 random
  bits (not a human choice), they are only a second factor (the password is still
  required), and the same table already holds the TOTP secrets, which must stay
  readable; a slow hash here would not raise the bar for whoever holds the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import datetime

import pyotp

__all__ = [
    "DIGITS",
    "RECOVERY_CODE_ALPHABET",
    "STEP_SECONDS",
    "VALID_WINDOW",
    "current_step",
    "hash_recovery_code",
    "match_recovery_code",
    "new_recovery_codes",
    "new_secret",
    "normalise_recovery_code",
    "provisioning_uri",
    "verify",
]

STEP_SECONDS = 30
DIGITS = 6
#: Steps accepted either side of the current one.
VALID_WINDOW = 1

#: Crockford's base32, lowercase: no i, l, o or u, so nothing reads as another symbol
#: on paper; `normalise_recovery_code` maps i/l to 1 and o to 0 in case one is typed.
RECOVERY_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_GROUPS = 3
_RECOVERY_GROUP_LEN = 4
_RECOVERY_LEN = _RECOVERY_GROUPS * _RECOVERY_GROUP_LEN  # 12 symbols x 5 bits = 60 bits
_CROCKFORD_FIXES = str.maketrans({"i": "1", "l": "1", "o": "0"})


def _require_aware(at: datetime) -> None:
    # A naive datetime would be read as local time by .timestamp(): on a server in JST
    # every code would be nine hours off. Refuse instead of guessing.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("`at` must be timezone-aware")


def new_secret() -> str:
    """A fresh base32 TOTP secret: 32 symbols, 160 bits, the size RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str, issuer: str = "Daiko") -> str:
    """`otpauth://` URI for the QR code an authenticator app scans."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def current_step(at: datetime) -> int:
    """RFC 6238 time step T = floor(unix time / 30) at `at`."""
    _require_aware(at)
    return int(at.timestamp()) // STEP_SECONDS


def verify(secret: str, code: str, *, at: datetime, last_used_step: int | None) -> int | None:
    """The time step `code` belongs to, or None if it is wrong, outside the window or replayed.

    `code` may carry spaces or full-width digits (a Japanese IME in full-width mode
    types `１２３ ４５６`); anything else that is not six digits is refused.
    """
    step = current_step(at)
    candidate = "".join(unicodedata.normalize("NFKC", code).split())
    if len(candidate) != DIGITS or not (candidate.isascii() and candidate.isdigit()):
        return None

    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    matched: int | None = None
    # Every step in the window is computed and compared in constant time, so timing
    # says nothing about which step (if any) was close.
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        s = step + offset
        if s < 0:
            continue
        expected = totp.generate_otp(s)
        fresh = last_used_step is None or s > last_used_step
        if hmac.compare_digest(expected, candidate) and fresh:
            # The latest matching step wins: it blocks the most future replays.
            matched = s
    return matched


# --- recovery codes ------------------------------------------------------------------


def new_recovery_codes(n: int = 10) -> list[str]:
    """`n` fresh one-time codes like `7k2m-x9qd-4hrt`, to show the user once."""
    if n < 1:
        raise ValueError("n must be positive")
    codes: list[str] = []
    while len(codes) < n:
        raw = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(_RECOVERY_LEN))
        code = "-".join(
            raw[i : i + _RECOVERY_GROUP_LEN] for i in range(0, _RECOVERY_LEN, _RECOVERY_GROUP_LEN)
        )
        if code not in codes:  # a collision is ~impossible, but a duplicate would waste a slot
            codes.append(code)
    return codes


def normalise_recovery_code(code: str) -> str | None:
    """Canonical 12-symbol form, or None if `code` cannot be a recovery code.

    Case, dashes, spaces and full-width forms are ignored; i/l/o read as 1/1/0.
    """
    folded = unicodedata.normalize("NFKC", code).casefold()
    compact = "".join(ch for ch in folded if not ch.isspace() and ch not in "-‐‑–—ー")
    compact = compact.translate(_CROCKFORD_FIXES)
    if len(compact) != _RECOVERY_LEN or any(ch not in RECOVERY_CODE_ALPHABET for ch in compact):
        return None
    return compact


def hash_recovery_code(code: str) -> str:
    """SHA-256 hex of the normalised code; what the database stores."""
    normal = normalise_recovery_code(code)
    if normal is None:
        raise ValueError("not a recovery code")
    return hashlib.sha256(normal.encode("ascii")).hexdigest()


def match_recovery_code(code: str, hashes: Sequence[str | None]) -> int | None:
    """Index of the stored hash `code` matches, or None.

    `None` entries are used-up slots (so indices stay stable). Every entry is compared
    in constant time, without stopping at the first match.
    """
    normal = normalise_recovery_code(code)
    if normal is None:
        return None
    digest = hashlib.sha256(normal.encode("ascii")).hexdigest()
    found: int | None = None
    for index, stored in enumerate(hashes):
        if stored is not None and hmac.compare_digest(stored, digest) and found is None:
            found = index
    return found
