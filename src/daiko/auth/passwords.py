"""Password hashing (argon2id) and the password policy (NIST SP 800-63B §5.1.1.2).

Why this shape:

- argon2id with argon2-cffi's defaults (RFC 9106 "low memory" profile: t=3, 64 MiB, p=4).
  Parameters live in the hash string, so raising them later only needs `needs_rehash`
  on the next successful sign-in.
- Passwords are NFKC-normalised before hashing and before every policy check. Japanese
  IMEs switch between full-width and half-width forms (`ｐａｓｓ` vs `pass`); without
  normalisation the same typed password could fail to verify (NIST asks for this too).
- The policy is NIST's: length and a blocklist, never composition rules ("one upper,
  one digit"), which push people to `Password1!` and add nothing.
- `dummy_verify` lets the sign-in handler spend one argon2 verification when the user
  does not exist, so response time does not reveal which e-mail addresses have accounts.
"""

from __future__ import annotations

import secrets
import string
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise

from argon2 import PasswordHasher, Type
from argon2.exceptions import VerificationError

__all__ = [
    "DEFAULT_HASHER",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "PolicyCode",
    "PolicyViolation",
    "check_password_policy",
    "dummy_verify",
    "hash_password",
    "is_common_password",
    "needs_rehash",
    "normalise",
    "verify_password",
]

#: NIST: at least 8 when chosen by the user, "SHOULD" 15 for single-factor; 12 is the
#: usual compromise for a portal that also offers TOTP, and a Japanese passphrase of 12
#: code points is already long.
MIN_LENGTH = 12
#: NIST asks to allow at least 64. The cap keeps a megabyte "password" from costing
#: anything before argon2 even starts, and 128 is far beyond what people type.
MAX_LENGTH = 128

#: Service names are context-specific words NIST tells us to refuse.
_SERVICE_WORDS = ("daiko", "代行")

#: Shorter fragments of names or addresses would refuse too many unrelated passwords
#: ("li" in "hello"). A CJK character carries far more than a Latin letter, so two of
#: them (a surname like 田中) are already specific enough.
_MIN_ASCII_FRAGMENT = 3
_MIN_WIDE_FRAGMENT = 2

#: Characters stripped from the end before the blocklist lookup: `sakura2024!` is as weak
#: as `sakura`, and no list can hold every suffix.
_TRAILING_NOISE = string.digits + string.punctuation + " "

#: Common substitutions (`p@ssw0rd`). Fold them back before a second blocklist lookup.
_LEET = str.maketrans({"@": "a", "4": "a", "3": "e", "0": "o", "$": "s", "5": "s", "7": "t"})

DEFAULT_HASHER = PasswordHasher()


class PolicyCode(StrEnum):
    """Stable reason codes: the UI translates these; the English message is a fallback."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common_password"
    REPETITIVE = "repetitive_or_sequential"
    CONTAINS_EMAIL = "contains_email"
    CONTAINS_NAME = "contains_name"
    CONTAINS_SERVICE_NAME = "contains_service_name"


@dataclass(frozen=True, slots=True)
class PolicyViolation:
    """One reason a password is refused."""

    code: PolicyCode
    message: str


def normalise(password: str) -> str:
    """NFKC form used for hashing, verifying and every policy check."""
    return unicodedata.normalize("NFKC", password)


# --- hashing -------------------------------------------------------------------------


def hash_password(password: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """argon2id hash (PHC string, salt and parameters included) of the normalised password."""
    return hasher.hash(normalise(password))


def verify_password(
    stored_hash: str, password: str, *, hasher: PasswordHasher = DEFAULT_HASHER
) -> bool:
    """True when `password` matches `stored_hash`.

    A corrupt stored hash raises `argon2.exceptions.InvalidHashError` rather than
    answering False: that is a data bug to surface, not a wrong password.
    """
    try:
        return hasher.verify(stored_hash, normalise(password))
    except VerificationError:
        return False


def needs_rehash(stored_hash: str, *, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """True when the hash was made with other parameters than `hasher`'s (rehash on sign-in)."""
    return hasher.check_needs_rehash(stored_hash)


_dummy_lock = threading.Lock()


@cache
def _dummy_hash(
    time_cost: int, memory_cost: int, parallelism: int, hash_len: int, kind: Type
) -> str:
    # A hash of a random password nobody knows, with the same cost as real hashes, so a
    # verification against it takes as long as one against a real user's hash.
    hasher = PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=hash_len,
        type=kind,
    )
    return hasher.hash(secrets.token_urlsafe(32))


def dummy_verify(password: str = "", *, hasher: PasswordHasher = DEFAULT_HASHER) -> None:
    """Spend one argon2 verification for an unknown user; the answer is always "no".

    The dummy hash is made on first use; call this once at start-up so the first
    unknown-user sign-in is not the slow one.
    """
    with _dummy_lock:
        dummy = _dummy_hash(
            hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.type
        )
    verify_password(dummy, password, hasher=hasher)


# --- policy --------------------------------------------------------------------------


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("daiko.auth").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        word.casefold()
        for line in text.splitlines()
        if (word := line.strip()) and not word.startswith("#")
    )


def _blocklist_candidates(folded: str) -> set[str]:
    stripped = folded.rstrip(_TRAILING_NOISE)
    candidates = {folded, stripped, stripped.translate(_LEET)}
    # "1" stands for both "i" (l3tm31n) and "l" (1ove); try each.
    candidates |= {c.replace("1", "i") for c in list(candidates)}
    candidates |= {c.replace("1", "l") for c in list(candidates)}
    candidates.discard("")
    return candidates


def is_common_password(password: str) -> bool:
    """True when the password, or its stem without trailing digits/punctuation, is listed."""
    folded = normalise(password).casefold().strip()
    common = _common_passwords()
    return any(c in common for c in _blocklist_candidates(folded))


def _is_repetitive_or_sequential(folded: str) -> bool:
    # One short unit repeated ("aaaaaaaaaaaa", "abcabcabcabc", "12121212...").
    for size in range(1, 5):
        unit = folded[:size]
        if len(folded) > size and (unit * (len(folded) // size + 1)).startswith(folded):
            return True
    # A run of consecutive code points up or down ("abcdefghijkl", "3456789012", "zyxw..."),
    # with digits allowed to wrap 9 -> 0 as people type them on a keyboard row.
    if len(folded) < 2:
        return False

    def step(a: str, b: str) -> int:
        if a.isdigit() and b.isdigit() and a.isascii() and b.isascii():
            return (int(b) - int(a) + 5) % 10 - 5
        return ord(b) - ord(a)

    first = step(folded[0], folded[1])
    return first in (1, -1) and all(step(a, b) == first for a, b in pairwise(folded))


def _fragment_long_enough(fragment: str) -> bool:
    minimum = _MIN_ASCII_FRAGMENT if fragment.isascii() else _MIN_WIDE_FRAGMENT
    return len(fragment) >= minimum


def _email_fragments(email: str) -> set[str]:
    folded = normalise(email).casefold().strip()
    local = folded.rpartition("@")[0] or folded
    local = local.split("+", 1)[0]  # sub-addressing: taro+daiko@ is still taro
    fragments = {local}
    # Pieces of dotted addresses (taro.yamada) are words the user's colleagues know; only
    # longer pieces, so "a.b.c" does not ban every password containing an "a".
    for sep in "._-":
        local = local.replace(sep, " ")
    fragments |= {piece for piece in local.split() if len(piece) >= 4}
    return {f for f in fragments if _fragment_long_enough(f)}


def _name_fragments(names: Iterable[str]) -> set[str]:
    fragments: set[str] = set()
    for name in names:
        folded = normalise(name).casefold()
        pieces = folded.split()  # NFKC turns the ideographic space (U+3000) into " "
        fragments.update(pieces)
        fragments.add("".join(pieces))
    return {f for f in fragments if _fragment_long_enough(f)}


def check_password_policy(
    password: str, *, email: str | None = None, names: Iterable[str] = ()
) -> list[PolicyViolation]:
    """Every reason `password` is refused; an empty list means it is acceptable.

    `email` and `names` (the user's display name, company name...) are the
    context-specific words NIST asks to refuse. Length counts Unicode code points of
    the NFKC form, so `パスワードを忘れないように` is 13 characters, not 39 bytes.
    """
    normal = normalise(password)
    length = len(normal)
    if length > MAX_LENGTH:
        # Nothing else is worth reporting; and no reason to run the checks on a huge input.
        return [
            PolicyViolation(
                PolicyCode.TOO_LONG,
                f"Use at most {MAX_LENGTH} characters (this one has {length}).",
            )
        ]

    violations: list[PolicyViolation] = []
    if length < MIN_LENGTH:
        violations.append(
            PolicyViolation(
                PolicyCode.TOO_SHORT,
                f"Use at least {MIN_LENGTH} characters (this one has {length}). "
                "A few unrelated words make a long password that is easy to remember.",
            )
        )

    folded = normal.casefold().strip()
    if is_common_password(normal):
        violations.append(
            PolicyViolation(
                PolicyCode.COMMON,
                "This password is too common: it is on lists that attackers try first.",
            )
        )
    elif _is_repetitive_or_sequential(folded):
        violations.append(
            PolicyViolation(
                PolicyCode.REPETITIVE,
                "Avoid repeated or sequential characters such as 'aaaa' or '1234'.",
            )
        )

    compact = "".join(folded.split())
    if email and any(f in compact for f in _email_fragments(email)):
        violations.append(
            PolicyViolation(
                PolicyCode.CONTAINS_EMAIL, "Do not use your e-mail address in your password."
            )
        )
    if any(f in compact for f in _name_fragments(names)):
        violations.append(
            PolicyViolation(PolicyCode.CONTAINS_NAME, "Do not use your name in your password.")
        )
    if any(word in compact for word in _SERVICE_WORDS):
        violations.append(
            PolicyViolation(
                PolicyCode.CONTAINS_SERVICE_NAME,
                "Do not use the name of this service in your password.",
            )
        )
    return violations
