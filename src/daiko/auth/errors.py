"""Sign-in errors, each with its own stable problem type."""

from __future__ import annotations

from daiko.errors import DaikoError, Forbidden, NotAuthenticated, TooManyRequests


class InvalidCredentials(NotAuthenticated):
    """One answer for an unknown e-mail, a wrong password and a disabled account."""

    slug = "invalid-credentials"
    title = "The e-mail address or password is not correct"


class InvalidCode(NotAuthenticated):
    slug = "invalid-code"
    title = "The code is not correct"


class PasswordSignInDisabled(Forbidden):
    slug = "oidc-required"
    title = "Your organisation requires sign-in through its identity provider"


class LoginThrottled(TooManyRequests):
    slug = "login-throttled"
    title = "Too many failed sign-in attempts"


class CsrfRejected(Forbidden):
    slug = "csrf"
    title = "The request did not come from a Daiko page"


class InvalidResetToken(DaikoError):
    status = 400
    slug = "invalid-reset-token"
    title = "This password reset link is invalid, used or expired"


class MfaNotEnrolled(DaikoError):
    status = 409
    slug = "mfa-not-enrolled"
    title = "No second factor is enrolled yet"


class MfaAlreadyEnrolled(DaikoError):
    status = 409
    slug = "mfa-already-enrolled"
    title = "A second factor is already enrolled"


class OidcFailed(DaikoError):
    status = 400
    slug = "oidc-failed"
    title = "Sign-in through the identity provider failed"
