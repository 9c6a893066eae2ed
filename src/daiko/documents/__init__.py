"""Documents: a store for bytes (S3 or a local folder) and the records that describe them."""
