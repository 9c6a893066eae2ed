"""Daiko (代行): a multi-tenant back-office outsourcing portal."""

__version__ = "0.1.0"
