"""Tenancy: client companies, who may act for them, and the scope every session runs in."""
