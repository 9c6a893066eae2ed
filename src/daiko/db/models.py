"""Every domain's tables, imported in one place so Alembic and the catalog tests see them."""

from __future__ import annotations

import importlib
import importlib.util

MODEL_MODULES = (
    "daiko.tenancy.models",
    "daiko.auth.models",
    "daiko.jobs.models",
    "daiko.audit.models",
    "daiko.security.models",
    "daiko.cases.models",
    "daiko.documents.models",
    "daiko.sla.models",
    "daiko.employees.models",
    "daiko.payroll.models",
    "daiko.bookkeeping.models",
    "daiko.bookkeeping.imports.models",
    "daiko.social_insurance.models",
    "daiko.partners.models",
)


def load_all_models() -> None:
    for name in MODEL_MODULES:
        package = name.rpartition(".")[0]
        if (
            importlib.util.find_spec(package) is not None
            and importlib.util.find_spec(name) is not None
        ):
            importlib.import_module(name)
