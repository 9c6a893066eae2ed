"""Audit: the tamper-evident, per-tenant, hash-chained trail of changes and sensitive reads.

Call `daiko.audit.service.record(...)` in the same transaction as the change it records.
"""
