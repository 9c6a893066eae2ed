"""Security of sensitive fields: per-tenant envelope encryption (My Number, bank account
numbers), masking for display, and My Number check digits."""
