"""Fixtures of the partner-API-wide tests: the partners fixtures (tokens, loopback)."""

from tests.partners.conftest import loopback_runtime, papp, pclient  # noqa: F401
