"""Sign-in security: password hashing and policy, TOTP, partner access tokens."""
