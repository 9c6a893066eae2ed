"""Partner access tokens: signing, verification failures by exact reason, key rotation."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from joserfc import jws, jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from daiko.auth.tokens import (
    ALGORITHM,
    CLOCK_SKEW,
    REQUIRED_CLAIMS,
    SCOPES,
    KeyRing,
    KeyRingError,
    SigningKey,
    TokenError,
    TokenErrorReason,
    UnknownScopeError,
    generate_signing_key,
    issue_access_token,
    parse_scope,
)

NOW = datetime(2025, 4, 1, 9, 0, 0, tzinfo=UTC)
ISSUER = "https://daiko.example.jp"
AUDIENCE = "https://daiko.example.jp/api/v1"
TENANT_A = UUID("01960000-0000-7000-8000-00000000000a")
TENANT_B = UUID("01960000-0000-7000-8000-00000000000b")


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_signing_key(NOW - timedelta(days=1))


@pytest.fixture(scope="module")
def ring(key: SigningKey) -> KeyRing:
    return KeyRing([key], now=NOW)


def issue(ring: KeyRing, *, now: datetime = NOW, **overrides: Any) -> tuple[str, dict[str, Any]]:
    arguments: dict[str, Any] = {
        "client_id": "freee-hr",
        "tenant_ids": [TENANT_B, TENANT_A],
        "scopes": ["employees:read", "attendance:write"],
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "now": now,
    }
    arguments.update(overrides)
    return issue_access_token(ring, **arguments)


def check(ring: KeyRing, token: str, *, now: datetime = NOW) -> dict[str, Any]:
    return ring.verify(token, issuer=ISSUER, audience=AUDIENCE, now=now)


def reason_of(ring: KeyRing, token: str, *, now: datetime = NOW, **kwargs: str) -> TokenErrorReason:
    with pytest.raises(TokenError) as caught:
        ring.verify(
            token,
            issuer=kwargs.get("issuer", ISSUER),
            audience=kwargs.get("audience", AUDIENCE),
            now=now,
        )
    return caught.value.reason


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def good_claims(now: datetime = NOW) -> dict[str, Any]:
    issued = int(now.timestamp())
    return {
        "iss": ISSUER,
        "sub": "freee-hr",
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + 600,
        "jti": "jti-1",
        "scope": "employees:read",
    }


def sign_with(key: SigningKey, claims: dict[str, Any], **header: Any) -> str:
    """Sign outside the ring, to build tokens the ring itself would never produce."""
    full_header = {"alg": ALGORITHM, "kid": key.kid, "typ": "at+jwt", **header}
    return jwt.encode(
        full_header, claims, ECKey.import_key(key.private_jwk), algorithms=[ALGORITHM]
    )


# --- issuing -------------------------------------------------------------------------


def test_issued_claims_are_exact(ring: KeyRing) -> None:
    token, claims = issue(ring)
    issued = int(NOW.timestamp())

    assert claims == {
        "iss": ISSUER,
        "sub": "freee-hr",
        "aud": AUDIENCE,
        "client_id": "freee-hr",
        "iat": issued,
        "nbf": issued,
        "exp": issued + 600,
        "jti": claims["jti"],
        "scope": "attendance:write employees:read",
        "tid": [str(TENANT_A), str(TENANT_B)],
    }
    assert isinstance(claims["jti"], str)
    assert len(claims["jti"]) >= 22  # 128 random bits
    assert check(ring, token) == claims


def test_header_names_alg_kid_and_type(ring: KeyRing, key: SigningKey) -> None:
    token, _ = issue(ring)
    header = json.loads(unb64(token.split(".")[0]))

    assert header == {"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}


def test_each_token_gets_a_fresh_jti(ring: KeyRing) -> None:
    assert issue(ring)[1]["jti"] != issue(ring)[1]["jti"]


def test_ttl_sets_exp(ring: KeyRing) -> None:
    _, claims = issue(ring, ttl=timedelta(minutes=5))
    assert claims["exp"] - claims["iat"] == 300


def test_tenant_ids_are_deduplicated_strings(ring: KeyRing) -> None:
    _, claims = issue(ring, tenant_ids=[TENANT_A, str(TENANT_A), TENANT_B])
    assert claims["tid"] == [str(TENANT_A), str(TENANT_B)]


def test_issuing_an_unknown_scope_raises(ring: KeyRing) -> None:
    with pytest.raises(UnknownScopeError) as caught:
        issue(ring, scopes=["employees:read", "payroll:write", "admin"])
    assert caught.value.unknown == frozenset({"payroll:write", "admin"})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scopes": []}, "at least one scope"),
        ({"ttl": timedelta(0)}, "ttl must be positive"),
        ({"client_id": ""}, "client_id is required"),
        ({"now": datetime(2025, 4, 1, 9, 0)}, "timezone-aware"),  # noqa: DTZ001
    ],
)
def test_issuing_refuses_bad_arguments(
    ring: KeyRing, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        issue(ring, **overrides)


# --- scopes --------------------------------------------------------------------------


def test_known_scopes() -> None:
    assert (
        frozenset(
            {
                "employees:read",
                "employees:write",
                "attendance:write",
                "documents:read",
                "documents:write",
                "payroll:read",
                "cases:read",
                "cases:write",
                "journals:read",
                "social_insurance:write",
                "jobs:read",
                "webhooks:manage",
            }
        )
        == SCOPES
    )


def test_parse_scope() -> None:
    assert parse_scope("cases:read  jobs:read") == frozenset({"cases:read", "jobs:read"})
    assert parse_scope("") == frozenset()


def test_parse_scope_raises_on_unknown() -> None:
    with pytest.raises(UnknownScopeError, match=r"unknown scope\(s\): cases:delete") as caught:
        parse_scope("cases:read cases:delete")
    assert caught.value.unknown == frozenset({"cases:delete"})
    assert isinstance(caught.value, ValueError)


# --- verification: time --------------------------------------------------------------


def test_valid_until_one_second_before_exp(ring: KeyRing) -> None:
    token, claims = issue(ring)
    exp = datetime.fromtimestamp(claims["exp"], tz=UTC)

    assert check(ring, token, now=exp - timedelta(seconds=1)) == claims
    assert reason_of(ring, token, now=exp) is TokenErrorReason.EXPIRED
    assert reason_of(ring, token, now=exp + timedelta(seconds=1)) is TokenErrorReason.EXPIRED


def test_issued_in_the_future_within_skew_is_accepted(ring: KeyRing) -> None:
    token, claims = issue(ring, now=NOW + CLOCK_SKEW)
    assert check(ring, token) == claims


def test_issued_in_the_future_beyond_skew_is_not_yet_valid(ring: KeyRing) -> None:
    token, _ = issue(ring, now=NOW + CLOCK_SKEW + timedelta(seconds=1))
    assert reason_of(ring, token) is TokenErrorReason.NOT_YET_VALID


def test_nbf_in_the_future_beyond_skew_is_not_yet_valid(ring: KeyRing) -> None:
    claims = good_claims() | {"nbf": int(NOW.timestamp()) + 31}
    assert reason_of(ring, ring.sign(claims)) is TokenErrorReason.NOT_YET_VALID

    claims["nbf"] = int(NOW.timestamp()) + 30
    assert check(ring, ring.sign(claims)) == claims


def test_naive_now_is_refused(ring: KeyRing) -> None:
    token, _ = issue(ring)
    with pytest.raises(ValueError, match="timezone-aware"):
        ring.verify(token, issuer=ISSUER, audience=AUDIENCE, now=datetime(2025, 4, 1))  # noqa: DTZ001


# --- verification: issuer and audience -----------------------------------------------


def test_wrong_issuer(ring: KeyRing) -> None:
    token, _ = issue(ring, issuer="https://evil.example")
    assert reason_of(ring, token) is TokenErrorReason.WRONG_ISSUER
    token, _ = issue(ring)
    assert reason_of(ring, token, issuer=ISSUER + "/") is TokenErrorReason.WRONG_ISSUER


def test_wrong_audience(ring: KeyRing) -> None:
    token, _ = issue(ring, audience="https://other-api.example")
    assert reason_of(ring, token) is TokenErrorReason.WRONG_AUDIENCE


def test_audience_list_must_contain_ours(ring: KeyRing) -> None:
    ok = good_claims() | {"aud": ["https://other.example", AUDIENCE]}
    assert check(ring, ring.sign(ok)) == ok

    wrong = good_claims() | {"aud": ["https://other.example"]}
    assert reason_of(ring, ring.sign(wrong)) is TokenErrorReason.WRONG_AUDIENCE


# --- verification: claims ------------------------------------------------------------


def test_required_claims() -> None:
    assert REQUIRED_CLAIMS == ("iss", "sub", "aud", "exp", "iat", "jti", "scope")


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_each_required_claim_is_enforced(ring: KeyRing, claim: str) -> None:
    claims = good_claims()
    del claims[claim]

    with pytest.raises(TokenError) as caught:
        check(ring, ring.sign(claims))
    assert caught.value.reason is TokenErrorReason.MISSING_CLAIM
    assert caught.value.detail == claim


def test_null_claim_counts_as_missing(ring: KeyRing) -> None:
    claims = good_claims() | {"jti": None}
    assert reason_of(ring, ring.sign(claims)) is TokenErrorReason.MISSING_CLAIM


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", "1743498600"),
        ("exp", True),
        ("iat", [1]),
        ("nbf", "soon"),
        ("sub", 42),
        ("iss", ["a"]),
        ("jti", 7),
        ("scope", ["employees:read"]),
        ("aud", [AUDIENCE, 3]),
        ("tid", "01960000-0000-7000-8000-00000000000a"),
        ("tid", [1, 2]),
        ("scope", "employees:read payroll:write"),  # not a scope we define
    ],
)
def test_invalid_claim_values(ring: KeyRing, claim: str, value: object) -> None:
    claims = good_claims() | {claim: value}

    with pytest.raises(TokenError) as caught:
        check(ring, ring.sign(claims))
    assert caught.value.reason is TokenErrorReason.INVALID_CLAIM
    assert caught.value.detail == claim


# --- verification: tampering and algorithms ------------------------------------------


def test_flipped_signature_byte_is_a_bad_signature(ring: KeyRing) -> None:
    token, _ = issue(ring)
    header, payload, signature = token.split(".")
    raw = bytearray(unb64(signature))
    raw[10] ^= 0x01

    assert (
        reason_of(ring, f"{header}.{payload}.{b64(bytes(raw))}") is TokenErrorReason.BAD_SIGNATURE
    )


def test_changed_payload_is_a_bad_signature(ring: KeyRing) -> None:
    token, claims = issue(ring)
    header, _, signature = token.split(".")
    forged = claims | {"tid": [str(TENANT_A), "01960000-0000-7000-8000-0000000000ff"]}
    payload = b64(json.dumps(forged, separators=(",", ":")).encode())

    assert reason_of(ring, f"{header}.{payload}.{signature}") is TokenErrorReason.BAD_SIGNATURE


def test_alg_none_is_refused(ring: KeyRing, key: SigningKey) -> None:
    _, claims = issue(ring)
    header = b64(json.dumps({"alg": "none", "kid": key.kid, "typ": "at+jwt"}).encode())
    payload = b64(json.dumps(claims).encode())

    assert reason_of(ring, f"{header}.{payload}.") is TokenErrorReason.ALG_NOT_ALLOWED
    assert reason_of(ring, f"{header}.{payload}.c2ln") is TokenErrorReason.ALG_NOT_ALLOWED


@pytest.mark.parametrize("alg", ["None", "NONE", "ES384", "RS256", "PS256", "EdDSA", "es256", ""])
def test_other_algorithms_are_refused(ring: KeyRing, key: SigningKey, alg: str) -> None:
    _, claims = issue(ring)
    header = b64(json.dumps({"alg": alg, "kid": key.kid, "typ": "at+jwt"}).encode())
    payload = b64(json.dumps(claims).encode())

    assert reason_of(ring, f"{header}.{payload}.AAAA") is TokenErrorReason.ALG_NOT_ALLOWED


def test_missing_alg_is_refused(ring: KeyRing, key: SigningKey) -> None:
    header = b64(json.dumps({"kid": key.kid, "typ": "at+jwt"}).encode())
    payload = b64(json.dumps(good_claims()).encode())

    assert reason_of(ring, f"{header}.{payload}.AAAA") is TokenErrorReason.ALG_NOT_ALLOWED


def test_hs256_signed_with_the_public_key_is_refused(ring: KeyRing, key: SigningKey) -> None:
    # The classic key-confusion attack: HMAC keyed with the published public key.
    public_json = json.dumps(ring.jwks()["keys"][0]).encode()
    token = jwt.encode(
        {"alg": "HS256", "kid": key.kid, "typ": "at+jwt"},
        good_claims(),
        OctKey.import_key(public_json),
        algorithms=["HS256"],
    )

    assert reason_of(ring, token) is TokenErrorReason.ALG_NOT_ALLOWED


def test_rs256_token_from_an_attacker_key_is_refused(ring: KeyRing, key: SigningKey) -> None:
    attacker = RSAKey.generate_key(2048, private=True)
    token = jwt.encode(
        {"alg": "RS256", "kid": key.kid, "typ": "at+jwt"},
        good_claims(),
        attacker,
        algorithms=["RS256"],
    )

    assert reason_of(ring, token) is TokenErrorReason.ALG_NOT_ALLOWED


def test_embedded_jwk_header_is_not_trusted(ring: KeyRing, key: SigningKey) -> None:
    attacker = ECKey.generate_key("P-256", private=True)
    token = jwt.encode(
        {"alg": "ES256", "kid": key.kid, "typ": "at+jwt", "jwk": attacker.as_dict()},
        good_claims(),
        attacker,
        algorithms=["ES256"],
    )

    assert reason_of(ring, token) is TokenErrorReason.BAD_SIGNATURE


@pytest.mark.parametrize("typ", ["JWT", "jwt", "application/jwt", None])
def test_token_type_must_be_at_jwt(key: SigningKey, ring: KeyRing, typ: str | None) -> None:
    header: dict[str, Any] = {"alg": ALGORITHM, "kid": key.kid}
    if typ is not None:
        header["typ"] = typ
    # jws, not jwt: jwt.encode would add "typ": "JWT" when the header has none.
    token = jws.serialize_compact(
        header,
        json.dumps(good_claims()),
        ECKey.import_key(key.private_jwk),
        algorithms=[ALGORITHM],
    )

    assert reason_of(ring, token) is TokenErrorReason.WRONG_TYPE


def test_media_type_form_of_at_jwt_is_accepted(key: SigningKey, ring: KeyRing) -> None:
    claims = good_claims()
    assert check(ring, sign_with(key, claims, typ="application/AT+JWT")) == claims


def test_crit_header_is_refused(key: SigningKey, ring: KeyRing) -> None:
    header = b64(
        json.dumps({"alg": "ES256", "kid": key.kid, "typ": "at+jwt", "crit": ["exp"]}).encode()
    )
    payload = b64(json.dumps(good_claims()).encode())

    assert reason_of(ring, f"{header}.{payload}.AAAA") is TokenErrorReason.MALFORMED


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        ".eyJ9.sig",
        "eyJhbGciOiJFUzI1NiJ9..sig",
        "!!!.eyJ9.sig",
        b64(b"not json") + ".eyJ9.sig",
        b64(b'["ES256"]') + ".eyJ9.sig",
        b64(b'{"alg":"ES256"}') + "=.eyJ9.sig",  # padding is not base64url
        "x" * 9000,
    ],
)
def test_malformed_tokens(ring: KeyRing, token: str) -> None:
    assert reason_of(ring, token) is TokenErrorReason.MALFORMED


def test_non_canonical_base64_header_is_malformed(ring: KeyRing, key: SigningKey) -> None:
    token, _ = issue(ring)
    header, payload, signature = token.split(".")
    # Change the unused low bits of the last symbol: same bytes, different spelling.
    raw = unb64(header)
    assert len(raw) % 3 != 0
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(header[-1])
    respelled = header[:-1] + alphabet[last | 1]
    assert respelled != header
    assert unb64(respelled) == raw

    assert reason_of(ring, f"{respelled}.{payload}.{signature}") is TokenErrorReason.MALFORMED


def test_payload_that_is_not_an_object_is_malformed(ring: KeyRing, key: SigningKey) -> None:
    token = jws.serialize_compact(
        {"alg": ALGORITHM, "kid": key.kid, "typ": "at+jwt"},
        b"[1, 2, 3]",
        ECKey.import_key(key.private_jwk),
        algorithms=[ALGORITHM],
    )
    assert reason_of(ring, token) is TokenErrorReason.MALFORMED


def test_token_error_message_never_contains_the_token(ring: KeyRing) -> None:
    token, _ = issue(ring)
    with pytest.raises(TokenError) as caught:
        ring.verify(token, issuer=ISSUER, audience="nope", now=NOW)
    assert str(caught.value) == "wrong_audience"
    assert token not in repr(caught.value)


# --- keys and rotation ---------------------------------------------------------------


def test_unknown_kid(ring: KeyRing) -> None:
    stranger = KeyRing([generate_signing_key(NOW)], now=NOW)
    token, _ = issue(stranger)
    assert reason_of(ring, token) is TokenErrorReason.UNKNOWN_KID


def test_missing_or_non_string_kid_is_unknown(ring: KeyRing, key: SigningKey) -> None:
    payload = b64(json.dumps(good_claims()).encode())
    for header in ({"alg": "ES256", "typ": "at+jwt"}, {"alg": "ES256", "typ": "at+jwt", "kid": 1}):
        encoded = b64(json.dumps(header).encode())
        assert reason_of(ring, f"{encoded}.{payload}.AAAA") is TokenErrorReason.UNKNOWN_KID


def test_generated_key_is_a_private_p256_jwk_named_by_its_thumbprint() -> None:
    key = generate_signing_key(NOW)
    jwk = ECKey.import_key(key.private_jwk)

    assert key.private_jwk["kty"] == "EC"
    assert key.private_jwk["crv"] == "P-256"
    assert "d" in key.private_jwk
    assert key.kid == jwk.thumbprint() == key.private_jwk["kid"]
    assert (key.created_at, key.retired, key.not_after) == (NOW, False, None)


def test_signing_key_repr_hides_the_private_key() -> None:
    key = generate_signing_key(NOW)
    assert key.private_jwk["d"] not in repr(key)


def test_jwks_publishes_public_parts_only(ring: KeyRing, key: SigningKey) -> None:
    (published,) = ring.jwks()["keys"]

    assert published == {
        "kty": "EC",
        "crv": "P-256",
        "x": key.private_jwk["x"],
        "y": key.private_jwk["y"],
        "kid": key.kid,
        "alg": "ES256",
        "use": "sig",
    }


def test_current_is_the_newest_active_key() -> None:
    old = generate_signing_key(NOW - timedelta(days=60))
    newer = generate_signing_key(NOW - timedelta(days=30))
    newest_but_retired = SigningKey(
        kid="retired",
        private_jwk=generate_signing_key(NOW).private_jwk | {"kid": "retired"},
        created_at=NOW - timedelta(days=1),
        retired=True,
        not_after=NOW + timedelta(hours=1),
    )
    future = generate_signing_key(NOW + timedelta(days=1))

    ring = KeyRing([old, newest_but_retired, future, newer], now=NOW)

    assert ring.current == newer
    # Retired and not-yet-active keys are still published.
    assert {k["kid"] for k in ring.jwks()["keys"]} == {old.kid, newer.kid, "retired", future.kid}


def test_a_ring_without_an_active_key_cannot_sign() -> None:
    retired = generate_signing_key(NOW - timedelta(days=1))
    retired = SigningKey(
        kid=retired.kid,
        private_jwk=retired.private_jwk,
        created_at=retired.created_at,
        retired=True,
    )
    ring = KeyRing([retired], now=NOW)

    with pytest.raises(KeyRingError, match="no active signing key"):
        _ = ring.current
    with pytest.raises(KeyRingError):
        ring.sign(good_claims())
    assert len(ring.jwks()["keys"]) == 1


def test_duplicate_kids_are_refused(key: SigningKey) -> None:
    with pytest.raises(KeyRingError, match="duplicate kid"):
        KeyRing([key, key], now=NOW)


def test_non_p256_keys_are_refused() -> None:
    p384 = ECKey.generate_key("P-384", private=True)
    bad = SigningKey(kid="p384", private_jwk=dict(p384.as_dict(private=True)), created_at=NOW)
    with pytest.raises(KeyRingError, match="P-256"):
        KeyRing([bad], now=NOW)

    public_only = generate_signing_key(NOW)
    stripped = {k: v for k, v in public_only.private_jwk.items() if k != "d"}
    with pytest.raises(KeyRingError, match="private P-256"):
        KeyRing([SigningKey(kid=public_only.kid, private_jwk=stripped, created_at=NOW)], now=NOW)


def test_jwk_kid_must_agree_with_the_record() -> None:
    key = generate_signing_key(NOW)
    with pytest.raises(KeyRingError, match="another kid"):
        KeyRing([SigningKey(kid="other", private_jwk=key.private_jwk, created_at=NOW)], now=NOW)


def test_rotation_keeps_tokens_of_a_retired_but_published_key_valid() -> None:
    old = generate_signing_key(NOW - timedelta(days=90))
    before = KeyRing([old], now=NOW)
    old_token, old_claims = issue(before)

    # Rotate: a new key signs from now on; the old one retires and stays published for an hour.
    new = generate_signing_key(NOW)
    retired_old = SigningKey(
        kid=old.kid,
        private_jwk=old.private_jwk,
        created_at=old.created_at,
        retired=True,
        not_after=NOW + timedelta(hours=1),
    )
    after = KeyRing([retired_old, new], now=NOW + timedelta(minutes=1))
    new_token, new_claims = issue(after, now=NOW + timedelta(minutes=1))

    assert after.current == new
    assert json.loads(unb64(new_token.split(".")[0]))["kid"] == new.kid
    assert check(after, old_token, now=NOW + timedelta(minutes=1)) == old_claims
    assert check(after, new_token, now=NOW + timedelta(minutes=1)) == new_claims
    assert {k["kid"] for k in after.jwks()["keys"]} == {old.kid, new.kid}


def test_tokens_of_a_removed_key_fail() -> None:
    old = generate_signing_key(NOW - timedelta(days=90))
    old_token, _ = issue(KeyRing([old], now=NOW))
    new = generate_signing_key(NOW)

    # Removed from storage altogether.
    removed = KeyRing([new], now=NOW)
    assert reason_of(removed, old_token) is TokenErrorReason.UNKNOWN_KID

    # Or still stored but past not_after: neither published nor accepted.
    expired = SigningKey(
        kid=old.kid,
        private_jwk=old.private_jwk,
        created_at=old.created_at,
        retired=True,
        not_after=NOW,
    )
    later = KeyRing([expired, new], now=NOW)
    assert reason_of(later, old_token) is TokenErrorReason.UNKNOWN_KID
    assert [k["kid"] for k in later.jwks()["keys"]] == [new.kid]


def test_a_ring_kept_past_a_keys_not_after_stops_accepting_it() -> None:
    old = generate_signing_key(NOW - timedelta(days=90))
    old_token, _ = issue(KeyRing([old], now=NOW))
    retiring = SigningKey(
        kid=old.kid,
        private_jwk=old.private_jwk,
        created_at=old.created_at,
        retired=True,
        not_after=NOW + timedelta(seconds=30),
    )
    ring = KeyRing([retiring, generate_signing_key(NOW)], now=NOW)

    assert check(ring, old_token, now=NOW + timedelta(seconds=29))["sub"] == "freee-hr"
    assert (
        reason_of(ring, old_token, now=NOW + timedelta(seconds=30)) is TokenErrorReason.UNKNOWN_KID
    )


def test_sign_does_not_modify_the_callers_claims(ring: KeyRing) -> None:
    claims: dict[str, Any] = good_claims() | {"exp": NOW + timedelta(minutes=5)}
    ring.sign(claims)
    assert claims["exp"] == NOW + timedelta(minutes=5)
