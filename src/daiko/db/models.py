"""Every domain's tables, imported in one place so Alembic and the catalog tests see them."""

from __future__ import annotations

import importlib

MODEL_MODULES = ("daiko.tenancy.models",)


def load_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
