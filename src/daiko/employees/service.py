"""Employee-master rules: create, edit, leave, bulk upsert, grades, resident tax, bank
accounts, My Number, monthly inputs. Services only flush; the edge commits.

One cleaner (`clean_employee`) turns what a person or a partner sent (JSON values, form
strings, file cells) into normal values or a list of `FieldError`s, so the API, the
pages and the imports accept exactly the same employees. Every change is audited in
the same transaction; sensitive values (My Number, account number, holder name) are
sealed with the tenant's field key before they reach a table, and the audit never
holds them.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import Actor, SensitiveKind, record
from daiko.auth.policy import Action, allows, authorize
from daiko.auth.principal import Principal
from daiko.employees import repository as repo
from daiko.employees import rules
from daiko.employees.models import (
    ACCOUNT_NUMBER_PURPOSE,
    HOLDER_NAME_PURPOSE,
    MY_NUMBER_PURPOSE,
    Employee,
    EmployeeBankAccount,
    EmployeeGrade,
    EmployeeMonthlyInput,
    EmployeeMyNumber,
    HealthInsuranceSociety,
    ResidentTaxNotice,
)
from daiko.errors import Conflict, DaikoError, InvalidInput, NotFound
from daiko.security.fields import encrypt_field, reveal_field
from daiko.security.keys import MasterKeyring

FieldError = rules.FieldError


class PreconditionFailed(DaikoError):
    status = 412
    slug = "precondition-failed"
    title = "The record changed since you read it"


class PreconditionRequired(DaikoError):
    status = 428
    slug = "precondition-required"
    title = "Send If-Match with the ETag you read"


def plain(field: str, value: str | None) -> None:
    """Free text must hold no control characters (NUL cannot be stored)."""
    if value is not None and rules.has_control(value):
        raise InvalidInput.field(field, "control characters are not allowed")


def invalid(errors: Sequence[FieldError], detail: str | None = None) -> InvalidInput:
    first = errors[0]
    return InvalidInput(
        detail or f"{first.field}: {first.reason}",
        errors=[{"field": e.field, "reason": e.reason} for e in errors],
    )


# --- tenancy and loading --------------------------------------------------------------


def resolve_tenant(principal: Principal, tenant_id: uuid.UUID | None, action: Action) -> uuid.UUID:
    """The tenant a request acts in: the one given (if in scope), else the only tenant
    where the principal may do `action`; someone acting for several must say which."""
    if tenant_id is not None:
        if tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        authorize(principal, action, tenant_id)
        return tenant_id
    able = [t for t in principal.scope.tenant_ids if allows(principal, action, t)]
    if len(able) == 1:
        return able[0]
    if not able and len(principal.scope.tenant_ids) == 1:
        only = next(iter(principal.scope.tenant_ids))
        authorize(principal, action, only)  # 403
        return only
    raise InvalidInput.field("tenant_id", "required: you act for several tenants")


def visible(principal: Principal, employee: Employee | None, action: Action) -> Employee:
    """The employee if `principal` may do `action` to it: 404 outside its tenants, 403
    within them when the role falls short."""
    if employee is None or employee.tenant_id not in principal.scope:
        raise NotFound("no such employee")
    authorize(principal, action, employee.tenant_id)
    return employee


async def load_employee(
    session: AsyncSession,
    principal: Principal,
    employee_id: uuid.UUID,
    action: Action,
    *,
    for_update: bool = False,
) -> Employee:
    """Another tenant's employee is a 404 before it can be a 403."""
    employee = visible(principal, await repo.find_employee(session, employee_id), action)
    if for_update:
        locked = await repo.get_employee(session, employee.tenant_id, employee.id, for_update=True)
        assert locked is not None
        return locked
    return employee


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(version: int, if_match: str | None, *, required: bool) -> None:
    """RFC 9110 If-Match against a version: missing → 428 (when required), stale → 412."""
    if if_match is None or not if_match.strip():
        if required:
            raise PreconditionRequired(headers={"ETag": etag(version)})
        return
    tags = [t.strip() for t in if_match.split(",")]
    if "*" in tags:
        return
    if str(version) not in {t.removeprefix("W/").strip('"') for t in tags}:
        raise PreconditionFailed(
            f"the record is at version {version}; reload it and try again",
            extra={"current_version": version},
            headers={"ETag": etag(version)},
        )


def _bump(row: Employee | EmployeeMonthlyInput) -> None:
    """A new version; `updated_at` follows by the column's `onupdate` (eager default)."""
    row.version += 1


# --- cleaning ---------------------------------------------------------------------------


def _opt(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse(value)

    return run


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValueError("not an id") from None


def _email(value: Any) -> str:
    text = str(value).strip()
    if rules.has_control(text) or "@" not in text or len(text) > 254 or " " in text:
        raise ValueError("not an e-mail address")
    return text


def _choice(field: str) -> Callable[[Any], str]:
    return lambda v: rules.choice(field, str(v))


PARSERS: dict[str, Callable[[Any], Any]] = {
    "code": lambda v: rules.employee_code(str(v)),
    "family_name": lambda v: rules.text(str(v), max_length=50),
    "given_name": lambda v: rules.text(str(v), max_length=50),
    "family_name_kana": lambda v: rules.kana(str(v)),
    "given_name_kana": lambda v: rules.kana(str(v)),
    "birth_date": rules.parse_date,
    "hire_date": rules.parse_date,
    "leave_date": _opt(rules.parse_date),
    "gender": _opt(_choice("gender")),
    "email": _opt(_email),
    "employment_type": _choice("employment_type"),
    "pay_group": _opt(lambda v: rules.text(str(v), max_length=64, required=False)),
    "department": _opt(lambda v: rules.text(str(v), max_length=100, required=False)),
    "pay_basis": _choice("pay_basis"),
    "base_amount": rules.parse_yen,
    "scheduled_monthly_hours": _opt(
        lambda v: rules.parse_decimal(v, places=2, maximum=Decimal(400))
    ),
    "scheduled_days": _opt(lambda v: rules.parse_decimal(v, places=2, maximum=Decimal(31))),
    "allowances": lambda v: rules.allowances(list(v or [])),
    "withholding_column": _choice("withholding_column"),
    "dependents": lambda v: rules.parse_int(v, low=0, high=99),
    "insurer_kind": _choice("insurer_kind"),
    "prefecture": _opt(rules.prefecture_code),
    "society_id": _opt(_uuid),
    "employment_insurance_industry": _choice("employment_insurance_industry"),
    "social_insurance_enrolled": rules.parse_bool,
    "employment_insurance_enrolled": rules.parse_bool,
}
REQUIRED = (
    "code",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "hire_date",
    "base_amount",
)
DEFAULTS: dict[str, Any] = {
    "employment_type": "regular",
    "pay_basis": "monthly",
    "allowances": [],
    "withholding_column": "kou",
    "dependents": 0,
    "insurer_kind": "kyoukai",
    "employment_insurance_industry": "general",
    "social_insurance_enrolled": True,
    "employment_insurance_enrolled": True,
}
FIELDS = tuple(PARSERS)


def clean_employee(
    raw: Mapping[str, Any],
    *,
    current: Employee | None = None,
    today: dt.date | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Normal values of the fields present in `raw`, and every error found. With no
    `current` (a new employee) the required fields must be there and defaults fill the
    rest; with one, the cross-field rules run on the merged record."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, value in raw.items():
        parse = PARSERS.get(name)
        if parse is None:
            continue
        if name in REQUIRED and (value is None or (isinstance(value, str) and not value.strip())):
            errors.append(FieldError(name, "required"))
            continue
        try:
            values[name] = parse(value)
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    if current is None:
        for name in REQUIRED:
            missing = name not in raw or raw[name] is None or raw[name] == ""
            if missing and not any(e.field == name for e in errors):
                errors.append(FieldError(name, "required"))
        values = {**DEFAULTS, **values}
        merged = dict(values)
    else:
        merged = {name: getattr(current, name) for name in FIELDS} | values
    if merged.get("insurer_kind") != "society" and ("insurer_kind" in values or current is None):
        values["society_id"] = None
        merged["society_id"] = None
    failed = {e.field for e in errors}
    errors.extend(e for e in rules.check_employee(merged, today=today) if e.field not in failed)
    return values, errors


def bank_name_of(employee: Employee) -> str | None:
    return _bank_name(employee.family_name_kana, employee.given_name_kana)


@functools.lru_cache(maxsize=4096)
def _bank_name(family_kana: str, given_kana: str) -> str | None:
    # Cached: every employee in every API page and report is converted, and names repeat.
    try:
        return rules.holder_name_of(family_kana, given_kana)
    except ValueError:
        return None


def _changed(employee: Employee, values: Mapping[str, Any]) -> list[str]:
    return sorted(k for k, v in values.items() if getattr(employee, k) != v)


async def _check_references(
    session: AsyncSession, tenant_id: uuid.UUID, values: Mapping[str, Any]
) -> list[FieldError]:
    society_id = values.get("society_id")
    if society_id is not None and await repo.society(session, tenant_id, society_id) is None:
        return [FieldError("society_id", "no such health-insurance society")]
    return []


# --- employees ----------------------------------------------------------------------------


async def create_employee(
    session: AsyncSession, actor: Actor, tenant_id: uuid.UUID, raw: Mapping[str, Any]
) -> Employee:
    values, errors = clean_employee(raw)
    errors += await _check_references(session, tenant_id, values)
    if not errors and await repo.get_by_code(session, tenant_id, values["code"]) is not None:
        errors.append(FieldError("code", "already used by another employee"))
    if errors:
        raise invalid(errors)
    employee = Employee(tenant_id=tenant_id, version=1, **values)
    session.add(employee)
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="employee.created",
        resource_type="employee",
        resource_id=employee.id,
        details={"code": employee.code},
    )
    await _life_event(session, employee, "hire")
    return employee


async def update_employee(
    session: AsyncSession, actor: Actor, employee: Employee, raw: Mapping[str, Any]
) -> Employee:
    values, errors = clean_employee(raw, current=employee)
    errors += await _check_references(session, employee.tenant_id, values)
    code = values.get("code")
    if not errors and code is not None and code != employee.code:
        other = await repo.get_by_code(session, employee.tenant_id, code)
        if other is not None:
            errors.append(FieldError("code", "already used by another employee"))
    if errors:
        raise invalid(errors)
    changed = _changed(employee, values)
    if not changed:
        return employee
    for name in changed:
        setattr(employee, name, values[name])
    _bump(employee)
    await session.flush()
    await record(
        session,
        tenant_id=employee.tenant_id,
        actor=actor,
        action="employee.updated",
        resource_type="employee",
        resource_id=employee.id,
        details={"fields": changed},
    )
    if "leave_date" in changed and employee.leave_date is not None:
        # A leaving date set by an edit is the same fact as `leave_employee`'s.
        await _life_event(session, employee, "leave")
    return employee


async def leave_employee(
    session: AsyncSession, actor: Actor, employee: Employee, leave_date: dt.date, reason: str
) -> Employee:
    """Soft delete (退職): the record stays for payroll history and statutory filings."""
    plain("reason", reason)
    if leave_date < employee.hire_date:
        raise InvalidInput.field("leave_date", "before the hire date")
    employee.leave_date = leave_date
    employee.leave_reason = reason
    _bump(employee)
    await session.flush()
    await record(
        session,
        tenant_id=employee.tenant_id,
        actor=actor,
        action="employee.left",
        resource_type="employee",
        resource_id=employee.id,
        details={"leave_date": leave_date.isoformat(), "reason": reason},
    )
    await _life_event(session, employee, "leave")
    return employee


async def _life_event(session: AsyncSession, employee: Employee, event: str) -> None:
    """Social insurance opens the procedures of a recent hire or leave (guarded: the
    domain may be absent)."""
    try:
        from daiko.social_insurance.service import on_employee_event
    except ImportError:  # pragma: no cover
        return
    await on_employee_event(session, employee, event)  # type: ignore[arg-type]


@dataclass(frozen=True)
class BulkOutcome:
    created: list[Employee]
    updated: list[Employee]


async def bulk_upsert(
    session: AsyncSession,
    actor: Actor,
    tenant_id: uuid.UUID,
    items: Sequence[Mapping[str, Any]],
    *,
    prefix: str = "items",
) -> BulkOutcome:
    """Create or update by code, all or nothing: every item is checked first and the
    errors come back as `items[3].birth_date`; only then is anything written."""
    codes = [str(i.get("code") or "") for i in items]
    existing = await repo.by_codes(session, tenant_id, [c for c in codes if c])
    errors: list[FieldError] = []
    cleaned: list[tuple[dict[str, Any], Employee | None]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        current = existing.get(codes[index])
        raw = {k: v for k, v in item.items() if k != "tenant_id"}
        values, errs = clean_employee(raw, current=current)
        if current is not None:
            # An upsert sends the whole record: absent optional fields keep their value.
            values = {k: v for k, v in values.items() if k in raw}
        errs += await _check_references(session, tenant_id, values)
        code = values.get("code")
        if code is not None:
            if code in seen:
                errs.append(FieldError("code", f"duplicate of items[{seen[code]}]"))
            else:
                seen[code] = index
        errors += [FieldError(f"{prefix}[{index}].{e.field}", e.reason) for e in errs]
        cleaned.append((values, current))
    if errors:
        raise invalid(errors, f"{len(errors)} problems; nothing was written")
    outcome = BulkOutcome(created=[], updated=[])
    for values, current in cleaned:
        if current is None:
            employee = Employee(tenant_id=tenant_id, version=1, **values)
            session.add(employee)
            outcome.created.append(employee)
        else:
            changed = _changed(current, values)
            for name in changed:
                setattr(current, name, values[name])
            if changed:
                _bump(current)
            outcome.updated.append(current)
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="employee.bulk_upserted",
        resource_type="employee",
        resource_id=None,
        details={"created": len(outcome.created), "updated": len(outcome.updated)},
    )
    for employee in outcome.created:
        await _life_event(session, employee, "hire")
    return outcome


# --- grades, resident tax, societies ---------------------------------------------------------


def month_of(text: str) -> dt.date:
    try:
        return rules.parse_month(text)
    except ValueError as exc:
        raise InvalidInput.field("month", str(exc)) from None


async def add_grade(
    session: AsyncSession,
    actor: Actor,
    employee: Employee,
    *,
    effective_month: dt.date,
    health_standard: int,
    pension_standard: int,
    reason: str,
    source_ref: str | None = None,
) -> EmployeeGrade:
    """Record a 標準報酬月額 decision. One per effective month: a second is a 409."""
    plain("source_ref", source_ref)
    month = effective_month.replace(day=1)
    if any(g.effective_month == month for g in await repo.grades(session, employee)):
        raise Conflict(
            f"a grade effective {month:%Y-%m} is already recorded",
            errors=[{"field": "effective_month", "reason": "already recorded"}],
        )
    grade = EmployeeGrade(
        tenant_id=employee.tenant_id,
        employee_id=employee.id,
        effective_month=month,
        health_standard=health_standard,
        pension_standard=pension_standard,
        reason=reason,
        source_ref=source_ref,
        created_by=getattr(actor, "user_id", None),
    )
    session.add(grade)
    await session.flush()
    await record(
        session,
        tenant_id=employee.tenant_id,
        actor=actor,
        action="employee.grade_added",
        resource_type="employee",
        resource_id=employee.id,
        details={
            "effective_month": f"{month:%Y-%m}",
            "health_standard": health_standard,
            "pension_standard": pension_standard,
            "reason": reason,
        },
    )
    return grade


async def set_resident_tax(
    session: AsyncSession,
    actor: Actor,
    employee: Employee,
    *,
    fiscal_year: int,
    municipality_code: str,
    municipality_name: str,
    june_amount: int,
    monthly_amount: int,
) -> ResidentTaxNotice:
    """Record a 決定通知 for a fiscal year; a later 変更通知 for the same year replaces it."""
    plain("municipality_name", municipality_name)
    try:
        code = rules.municipality_code(municipality_code)
    except ValueError as exc:
        raise InvalidInput.field("municipality_code", str(exc)) from None
    stmt = (
        insert(ResidentTaxNotice)
        .values(
            tenant_id=employee.tenant_id,
            id=uuid.uuid4(),
            employee_id=employee.id,
            fiscal_year=fiscal_year,
            municipality_code=code,
            municipality_name=municipality_name,
            june_amount=june_amount,
            monthly_amount=monthly_amount,
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "employee_id", "fiscal_year"],
            set_={
                "municipality_code": code,
                "municipality_name": municipality_name,
                "june_amount": june_amount,
                "monthly_amount": monthly_amount,
            },
        )
        .returning(ResidentTaxNotice)
        .execution_options(populate_existing=True)
    )
    notice = (await session.execute(stmt)).scalar_one()
    await record(
        session,
        tenant_id=employee.tenant_id,
        actor=actor,
        action="employee.resident_tax_set",
        resource_type="employee",
        resource_id=employee.id,
        details={
            "fiscal_year": fiscal_year,
            "municipality_code": code,
            "june_amount": june_amount,
            "monthly_amount": monthly_amount,
        },
    )
    return notice


async def add_society(
    session: AsyncSession, actor: Actor, tenant_id: uuid.UUID, values: Mapping[str, Any]
) -> HealthInsuranceSociety:
    errors = [
        FieldError(name, f"a percentage between {low} and {high}")
        for name, low, high in (
            ("health_rate", 0, 30),
            ("care_rate", 0, 10),
            ("health_employee_rate", 0, 30),
            ("care_employee_rate", 0, 10),
        )
        if values.get(name) is not None
        and not (
            Decimal(values[name]).is_finite()
            and Decimal(low) <= Decimal(values[name]) < Decimal(high)
        )
    ]
    if not errors and Decimal(values["health_rate"]) == 0:
        errors.append(FieldError("health_rate", "must be above 0"))
    if errors:
        raise invalid(errors)
    plain("name", values["name"])
    for known in await repo.societies(session, tenant_id):
        if known.name == values["name"] and known.valid_from == values["valid_from"]:
            raise Conflict(
                "this society already has rates from that date",
                errors=[{"field": "valid_from", "reason": "already recorded"}],
            )
    row = HealthInsuranceSociety(tenant_id=tenant_id, **values)
    session.add(row)
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="health_insurance_society.added",
        resource_type="health_insurance_society",
        resource_id=row.id,
        details={"name": row.name, "valid_from": row.valid_from.isoformat()},
    )
    return row


# --- bank accounts --------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedAccount:
    """A bank account with its secret parts already sealed (API, page or import)."""

    bank_code: str
    branch_code: str
    account_type: str
    number_token: str
    last4: str
    holder_token: str
    bank_name_kana: str | None = None
    branch_name_kana: str | None = None
    position: int = 1
    fixed_amount: int | None = None


def clean_bank_account(
    raw: Mapping[str, Any], *, family_kana: str | None, given_kana: str | None, prefix: str = ""
) -> tuple[dict[str, Any], list[FieldError]]:
    """bank_code, branch_code, account_type, account_number, holder_name (optional:
    derived from the kana name) → normal values and errors."""
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    checks: dict[str, Callable[[Any], Any]] = {
        "bank_code": rules.bank_code,
        "branch_code": rules.branch_code,
        "account_type": lambda v: rules.choice("account_type", str(v)),
        "account_number": rules.account_number,
    }
    for name, check in checks.items():
        try:
            out[name] = check(raw.get(name))
        except ValueError as exc:
            errors.append(FieldError(prefix + name, str(exc)))
    holder = raw.get("holder_name")
    try:
        if holder:
            out["holder_name"] = rules.bank_kana(str(holder))
        elif family_kana and given_kana:
            out["holder_name"] = rules.holder_name_of(family_kana, given_kana)
        else:
            errors.append(FieldError(prefix + "holder_name", "required"))
    except ValueError as exc:
        errors.append(FieldError(prefix + "holder_name", str(exc)))
    for name in ("bank_name_kana", "branch_name_kana"):
        if raw.get(name):
            try:
                out[name] = rules.bank_kana(str(raw[name]), max_length=15)
            except ValueError as exc:
                errors.append(FieldError(prefix + name, str(exc)))
    return out, errors


async def seal_account(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    values: Mapping[str, Any],
    *,
    keyring: MasterKeyring | None = None,
) -> SealedAccount:
    number = str(values["account_number"])
    return SealedAccount(
        bank_code=values["bank_code"],
        branch_code=values["branch_code"],
        account_type=values["account_type"],
        number_token=await encrypt_field(
            session, tenant_id, number, purpose=ACCOUNT_NUMBER_PURPOSE, keyring=keyring
        ),
        last4=number[-4:],
        holder_token=await encrypt_field(
            session,
            tenant_id,
            str(values["holder_name"]),
            purpose=HOLDER_NAME_PURPOSE,
            keyring=keyring,
        ),
        bank_name_kana=values.get("bank_name_kana"),
        branch_name_kana=values.get("branch_name_kana"),
        position=int(values.get("position") or 1),
        fixed_amount=values.get("fixed_amount"),
    )


async def store_account(
    session: AsyncSession, tenant_id: uuid.UUID, employee_id: uuid.UUID, sealed: SealedAccount
) -> EmployeeBankAccount:
    row = {
        "bank_code": sealed.bank_code,
        "branch_code": sealed.branch_code,
        "account_type": sealed.account_type,
        "account_number_token": sealed.number_token,
        "account_number_last4": sealed.last4,
        "account_number_length": 7,
        "holder_name_token": sealed.holder_token,
        "bank_name_kana": sealed.bank_name_kana,
        "branch_name_kana": sealed.branch_name_kana,
        "fixed_amount": sealed.fixed_amount,
    }
    stmt = (
        insert(EmployeeBankAccount)
        .values(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            employee_id=employee_id,
            position=sealed.position,
            **row,
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "employee_id", "position"],
            set_={**row, "updated_at": func.now()},
        )
        .returning(EmployeeBankAccount)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def set_bank_account(
    session: AsyncSession, actor: Actor, employee: Employee, raw: Mapping[str, Any]
) -> EmployeeBankAccount:
    values, errors = clean_bank_account(
        raw, family_kana=employee.family_name_kana, given_kana=employee.given_name_kana
    )
    if errors:
        raise invalid(errors)
    values["position"] = raw.get("position") or 1
    values["fixed_amount"] = raw.get("fixed_amount")
    if values["position"] == 1 and values["fixed_amount"] is not None:
        raise InvalidInput.field("fixed_amount", "the main account takes the rest")
    sealed = await seal_account(session, employee.tenant_id, values)
    account = await store_account(session, employee.tenant_id, employee.id, sealed)
    await record(
        session,
        tenant_id=employee.tenant_id,
        actor=actor,
        action="employee.bank_account_set",
        resource_type="employee",
        resource_id=employee.id,
        details={
            "position": sealed.position,
            "bank_code": sealed.bank_code,
            "branch_code": sealed.branch_code,
            "account": account.masked_number,
        },
    )
    return account


# --- My Number ----------------------------------------------------------------------------


async def store_my_number(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    employee_id: uuid.UUID,
    token: str,
    last4: str,
    registered_by: uuid.UUID | None,
) -> None:
    await session.execute(
        insert(EmployeeMyNumber)
        .values(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            employee_id=employee_id,
            token=token,
            last4=last4,
            registered_by=registered_by,
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "employee_id"],
            set_={
                "token": token,
                "last4": last4,
                "registered_by": registered_by,
                "updated_at": func.now(),
            },
        )
    )


async def set_my_number(session: AsyncSession, actor: Actor, employee: Employee, value: str) -> str:
    """Seal and store the employee's My Number (check digit verified); returns it masked."""
    try:
        digits = rules.my_number(value)
    except ValueError as exc:
        raise InvalidInput.field("my_number", str(exc)) from None
    token = await encrypt_field(session, employee.tenant_id, digits, purpose=MY_NUMBER_PURPOSE)
    user_id = actor.user_id if isinstance(actor, Principal) else None
    await store_my_number(session, employee.tenant_id, employee.id, token, digits[-4:], user_id)
    await record(
        session,
        tenant_id=employee.tenant_id,
        actor=actor,
        action="employee.my_number_set",
        resource_type="employee",
        resource_id=employee.id,
        details={"masked": "*" * 8 + digits[-4:]},
    )
    return "*" * 8 + digits[-4:]


def reveal_purpose(purpose: str, text: str | None) -> str:
    """The stated 利用目的: one of the fixed purposes, `other` with its explanation."""
    from daiko.employees.schemas import REVEAL_PURPOSES

    if purpose not in REVEAL_PURPOSES:
        raise InvalidInput.field("purpose", f"one of {', '.join(REVEAL_PURPOSES)}")
    if purpose == "other":
        explained = (text or "").strip()
        if not explained:
            raise InvalidInput.field("purpose_text", "say what the number is needed for")
        return f"other: {explained[:500]}"
    return purpose


async def reveal_my_number(
    session: AsyncSession,
    principal: Principal,
    employee: Employee,
    purpose: str,
    purpose_text: str | None = None,
) -> str:
    """The clear My Number, for a person allowed SENSITIVE_REVEAL who states a purpose;
    audited (`employee.my_number_revealed`, with the purpose) in this transaction."""
    authorize(principal, Action.SENSITIVE_REVEAL, employee.tenant_id)
    stated = reveal_purpose(purpose, purpose_text)
    vault = await repo.my_number(session, employee)
    if vault is None:
        raise NotFound("no My Number is registered for this employee")
    return await reveal_field(
        session,
        tenant_id=employee.tenant_id,
        token=vault.token,
        purpose=MY_NUMBER_PURPOSE,
        kind=SensitiveKind.MY_NUMBER,
        actor=principal,
        resource_type="employee",
        resource_id=employee.id,
        business_purpose=stated,
        details={"code": employee.code},
    )


# --- monthly inputs ------------------------------------------------------------------------

INPUT_FIELDS = (
    "worked_days",
    "absence_days",
    "paid_leave_days",
    "overtime_hours",
    "overtime_over60_hours",
    "rest_day_hours",
    "late_night_hours",
    "lateness_hours",
    "variable_allowances",
    "variable_deductions",
    "note",
)


INPUT_LIMITS = {
    "worked_days": Decimal(31),
    "absence_days": Decimal(31),
    "paid_leave_days": Decimal(31),
    "overtime_hours": Decimal(60),
    "overtime_over60_hours": Decimal(999),
    "rest_day_hours": Decimal(999),
    "late_night_hours": Decimal(999),
    "lateness_hours": Decimal(999),
}


def clean_monthly_input(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Days (≤ 31) and hours (statutory overtime ≤ 60; beyond goes to the over-60 field),
    named amounts as whole yen."""
    data: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, maximum in INPUT_LIMITS.items():
        value = values.get(name)
        if value is None or value == "":
            data[name] = Decimal(0)
            continue
        try:
            data[name] = rules.parse_decimal(value, places=2, maximum=maximum)
        except ValueError as exc:
            reason = str(exc)
            if name == "overtime_hours" and reason.startswith("at most"):
                reason = "at most 60; the rest is overtime_over60_hours"
            errors.append(FieldError(name, reason))
    for name in ("variable_allowances", "variable_deductions"):
        amounts: dict[str, int] = {}
        for key, amount in dict(values.get(name) or {}).items():
            label = str(key).strip()[:50]
            try:
                if rules.has_control(label):
                    raise ValueError("control characters are not allowed")
                if not label:
                    raise ValueError("a name is required")
                amounts[label] = rules.parse_yen(amount)
            except ValueError as exc:
                errors.append(FieldError(f"{name}.{label or '?'}", str(exc)))
        data[name] = amounts
    note = values.get("note")
    if note and rules.has_control(str(note).replace("\n", "").replace("\r", "").replace("\t", "")):
        errors.append(FieldError("note", "control characters are not allowed"))
        note = None
    data["note"] = str(note).strip()[:2000] or None if note else None
    return data, errors


async def put_monthly_input(
    session: AsyncSession,
    actor: Actor,
    employee: Employee,
    pay_month: dt.date,
    values: Mapping[str, Any],
    *,
    if_match: str | None = None,
    audit: bool = True,
) -> EmployeeMonthlyInput:
    """Replace the employee's inputs of `pay_month` (create them the first time)."""
    month = pay_month.replace(day=1)
    row = await repo.monthly_input(session, employee, month, for_update=True)
    data, errors = clean_monthly_input(values)
    if errors:
        raise invalid(errors)
    if row is None:
        if if_match is not None and if_match.strip() not in ("", "*"):
            raise PreconditionFailed("no inputs exist for this month yet")
        row = EmployeeMonthlyInput(
            tenant_id=employee.tenant_id,
            employee_id=employee.id,
            pay_month=month,
            version=1,
            **data,
        )
        session.add(row)
    else:
        check_if_match(row.version, if_match, required=False)
        for name, value in data.items():
            setattr(row, name, value)
        _bump(row)
    await session.flush()
    if audit:
        await record(
            session,
            tenant_id=employee.tenant_id,
            actor=actor,
            action="employee.monthly_input_set",
            resource_type="employee",
            resource_id=employee.id,
            details={"pay_month": f"{month:%Y-%m}"},
        )
    return row


# --- for payroll: transfer accounts in clear ----------------------------------------------


@dataclass(frozen=True)
class TransferAccount:
    """A salary account opened for a 全銀 transfer file (never shown on a page)."""

    employee_id: uuid.UUID
    position: int
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_name: str
    bank_name_kana: str | None
    branch_name_kana: str | None
    fixed_amount: int | None


async def transfer_accounts(
    session: AsyncSession,
    actor: Actor,
    tenant_id: uuid.UUID,
    employee_ids: Sequence[uuid.UUID],
    *,
    purpose: str,
    resource_id: str | uuid.UUID | None = None,
) -> dict[uuid.UUID, list[TransferAccount]]:
    """Decrypt the salary accounts of `employee_ids` (by position) for a bank transfer
    file; one audit event (`employee.bank_account_revealed`, with the purpose
    and the count) covers the batch."""
    from daiko.audit.service import record_read_of_sensitive
    from daiko.security.fields import decrypt_fields

    by_employee = await repo.bank_accounts_for(session, tenant_id, employee_ids)
    rows = [a for accounts in by_employee.values() for a in accounts]
    numbers = await decrypt_fields(
        session, tenant_id, [a.account_number_token for a in rows], purpose=ACCOUNT_NUMBER_PURPOSE
    )
    holders = await decrypt_fields(
        session, tenant_id, [a.holder_name_token for a in rows], purpose=HOLDER_NAME_PURPOSE
    )
    out: dict[uuid.UUID, list[TransferAccount]] = {}
    for a, number, holder in zip(rows, numbers, holders, strict=True):
        out.setdefault(a.employee_id, []).append(
            TransferAccount(
                employee_id=a.employee_id,
                position=a.position,
                bank_code=a.bank_code,
                branch_code=a.branch_code,
                account_type=a.account_type,
                account_number=number,
                holder_name=holder,
                bank_name_kana=a.bank_name_kana,
                branch_name_kana=a.branch_name_kana,
                fixed_amount=a.fixed_amount,
            )
        )
    if rows:
        await record_read_of_sensitive(
            session,
            tenant_id=tenant_id,
            actor=actor,
            kind=SensitiveKind.BANK_ACCOUNT,
            resource_type="employee",
            resource_id=resource_id,
            purpose=purpose,
            details={"accounts": len(rows), "employees": len(out)},
        )
    return out
