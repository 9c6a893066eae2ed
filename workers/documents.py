"""Documents in the worker process.

The `document_verify` actor itself is registered by `workers.jobs` with every other job
kind (one shell per kind over `daiko.jobs.runner`); this module only points the
verification handler at this process's document store, so the worker reuses the
runtime's boto3 client instead of building another.
"""

from __future__ import annotations

from daiko.documents.tasks import use_store_provider
from workers import runtime

use_store_provider(lambda: runtime().store)
