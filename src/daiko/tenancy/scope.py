"""`TenantScope`: the set of tenants a unit of work may touch.

Only this package builds one (polar's `AccessibleOrganizationID` idea, made a type): the
session factory in `daiko.db` requires it and writes it into the transaction with
`set_config('daiko.tenant_ids', …, true)`, where every RLS policy reads it. A scope that
was never built cannot be forged by passing a list of ids around.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Final, final

_BUILDER: Final = object()


@final
class TenantScope:
    """An immutable, vetted set of tenant ids. Build it with the functions below."""

    __slots__ = ("_ids",)

    def __init__(self, ids: Iterable[uuid.UUID], *, _token: object = None) -> None:
        if _token is not _BUILDER:
            raise TypeError("TenantScope is built only by daiko.tenancy")
        self._ids = frozenset(ids)

    @property
    def tenant_ids(self) -> frozenset[uuid.UUID]:
        return self._ids

    def __contains__(self, tenant_id: object) -> bool:
        return tenant_id in self._ids

    def __bool__(self) -> bool:
        return bool(self._ids)

    def __repr__(self) -> str:
        return f"TenantScope({sorted(str(i) for i in self._ids)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TenantScope) and other._ids == self._ids

    def __hash__(self) -> int:
        return hash(self._ids)

    def setting(self) -> str:
        """The value written to `daiko.tenant_ids`: comma-separated, sorted (stable)."""
        return ",".join(sorted(str(i) for i in self._ids))


def _build(ids: Iterable[uuid.UUID]) -> TenantScope:
    return TenantScope(ids, _token=_BUILDER)


NO_TENANTS: Final = _build(())


def scope_of_tenant(tenant_id: uuid.UUID) -> TenantScope:
    """One tenant's scope: for system work that already chose the tenant set-wise
    (scheduler fan-out, a job row that names its tenant)."""
    return _build((tenant_id,))


def scope_of_tenants(tenant_ids: Iterable[uuid.UUID]) -> TenantScope:
    """Several tenants: built by the principal resolver from memberships, operator
    assignments or partner grants that the database returned for that principal."""
    return _build(tenant_ids)
