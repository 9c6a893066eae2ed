"""Tenants as code: the schema of `tenants/<slug>.yaml`, its loader and its dumper.

One YAML file describes one client company: who it is (法人番号, prefecture), which services
it buys, its SLA targets, business calendar, payroll settings, and the people to create.
`daiko tenants apply` loads every file with `load_tenant_files` and makes the database match.

The loader never stops at the first mistake: a reviewer should see every problem in a pull
request at once, each as `file:line: field: reason`. It therefore walks the composed YAML
node tree itself (node marks give the line of every key and value) instead of handing plain
data to msgspec, which would stop at the first error and know no lines. The typed result is
frozen msgspec structs, so it can also be stored as JSON and decoded back strictly.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from os import PathLike
from pathlib import Path
from typing import Any, Final, Literal, TypeVar
from urllib.parse import urlsplit

import msgspec
import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from daiko.tenancy.corporate_number import corporate_number_error
from daiko.tenancy.prefectures import PREFECTURES, find_prefecture

__all__ = [
    "CLIENT_ROLES",
    "EMPLOYMENT_INSURANCE_INDUSTRIES",
    "HEALTH_INSURER_KINDS",
    "LOCALES",
    "OPERATOR_ROLES",
    "PRIORITIES",
    "SERVICES",
    "TENANT_STATUSES",
    "CalendarSpec",
    "ClientRole",
    "Closure",
    "DayOfMonth",
    "EmploymentInsuranceIndustry",
    "HealthInsurerKind",
    "HealthInsurerSpec",
    "KumiaiRate",
    "Locale",
    "MonthDay",
    "OidcSpec",
    "OperatorRole",
    "OperatorSpec",
    "PayGroup",
    "PayrollSpec",
    "Priority",
    "Service",
    "ServiceSla",
    "SlaTarget",
    "SpecError",
    "TenantSpec",
    "TenantSpecErrors",
    "TenantStatus",
    "UserSpec",
    "WorkingHours",
    "dump_tenant_spec",
    "load_tenant_dir",
    "load_tenant_files",
]

Service = Literal["payroll", "bookkeeping", "social_insurance"]
Locale = Literal["ja", "en"]
TenantStatus = Literal["active", "suspended", "offboarded"]
ClientRole = Literal["client_admin", "client_member", "client_viewer"]
OperatorRole = Literal["operator", "lead"]
Priority = Literal["urgent", "high", "normal", "low"]
EmploymentInsuranceIndustry = Literal["general", "agriculture", "construction"]
HealthInsurerKind = Literal["kyokai", "kumiai"]
DayOfMonth = int | Literal["end"]
"""A day 1-31 (clamped to the month's last day) or "end" (末日)."""

SERVICES: Final[tuple[Service, ...]] = ("payroll", "bookkeeping", "social_insurance")
LOCALES: Final[tuple[Locale, ...]] = ("ja", "en")
TENANT_STATUSES: Final[tuple[TenantStatus, ...]] = ("active", "suspended", "offboarded")
CLIENT_ROLES: Final[tuple[ClientRole, ...]] = ("client_admin", "client_member", "client_viewer")
OPERATOR_ROLES: Final[tuple[OperatorRole, ...]] = ("operator", "lead")
PRIORITIES: Final[tuple[Priority, ...]] = ("urgent", "high", "normal", "low")
EMPLOYMENT_INSURANCE_INDUSTRIES: Final[tuple[EmploymentInsuranceIndustry, ...]] = (
    "general",
    "agriculture",
    "construction",
)
HEALTH_INSURER_KINDS: Final[tuple[HealthInsurerKind, ...]] = ("kyokai", "kumiai")

DEFAULT_TIME_ZONE: Final = "Asia/Tokyo"
DEFAULT_BANK_CUTOFF_BUSINESS_DAYS: Final = 3


# --------------------------------------------------------------------------- the schema


class MonthDay(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A day that recurs every year, written "MM-DD" (e.g. 12-29)."""

    month: int
    day: int

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


class Closure(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """休業期間: days the client is closed. Annual ("MM-DD" ends, may wrap the year end,
    e.g. 12-29..01-03) or one-off (dates)."""

    label: str
    start: dt.date | MonthDay
    end: dt.date | MonthDay

    def covers(self, day: dt.date) -> bool:
        if isinstance(self.start, MonthDay) and isinstance(self.end, MonthDay):
            key = (day.month, day.day)
            first = (self.start.month, self.start.day)
            last = (self.end.month, self.end.day)
            return first <= key <= last if first <= last else key >= first or key <= last
        if isinstance(self.start, dt.date) and isinstance(self.end, dt.date):
            return self.start <= day <= self.end
        return False


class WorkingHours(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """就業時間 on a business day, written "09:00-18:00"."""

    start: dt.time
    end: dt.time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _default_working_hours() -> WorkingHours:
    return WorkingHours(start=dt.time(9, 0), end=dt.time(18, 0))


class CalendarSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The client's own calendar. Weekends and public holidays are the SLA module's job;
    this adds what is particular to the client."""

    working_hours: WorkingHours = msgspec.field(default_factory=_default_working_hours)
    closures: tuple[Closure, ...] = ()
    extra_days_off: tuple[dt.date, ...] = ()

    def is_company_day_off(self, day: dt.date) -> bool:
        return day in self.extra_days_off or any(c.covers(day) for c in self.closures)


def _day_in(year: int, month: int, day: DayOfMonth) -> dt.date:
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, last if day == "end" else min(day, last))


class PayGroup(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A set of employees sharing 締日 and 支給日 (e.g. 月給者 20日締め当月25日払い)."""

    code: str
    name: str
    closing_day: DayOfMonth
    pay_day: DayOfMonth
    pay_month_offset: Literal[0, 1] = 0
    """0: paid in the month of the closing day (当月払い); 1: the month after (翌月払い)."""
    bank_cutoff_business_days: int = DEFAULT_BANK_CUTOFF_BUSINESS_DAYS
    """How many bank business days before payday the bank needs the transfer data."""

    def closing_date(self, year: int, month: int) -> dt.date:
        """締日 in the given month; a day past the month's end means its last day."""
        return _day_in(year, month, self.closing_day)

    def pay_date(self, year: int, month: int) -> dt.date:
        """Nominal 支給日 for the period closing in the given month, before any
        business-day adjustment (that is the 就業規則's rule, applied by the payroll module)."""
        index = year * 12 + (month - 1) + self.pay_month_offset
        return _day_in(index // 12, index % 12 + 1, self.pay_day)


class KumiaiRate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A 健康保険組合's rates (percent of 標準報酬) from an insurance month onwards."""

    valid_from: dt.date
    """First day of the first insurance month (保険料の対象月) these rates apply to."""
    health_percent: Decimal
    care_percent: Decimal
    employee_health_percent: Decimal | None = None
    """Employee share if the 組合 lets the employer pay more than half; None: half."""
    employee_care_percent: Decimal | None = None


class HealthInsurerSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """協会けんぽ (rates by the establishment's prefecture, from the rate tables) or a
    健康保険組合 (own name and rates)."""

    kind: HealthInsurerKind = "kyokai"
    name: str | None = None
    rates: tuple[KumiaiRate, ...] = ()


class PayrollSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pay_groups: tuple[PayGroup, ...]
    employment_insurance_industry: EmploymentInsuranceIndustry = "general"
    health_insurer: HealthInsurerSpec = msgspec.field(default_factory=HealthInsurerSpec)


class SlaTarget(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    priority: Priority
    first_response_hours: int | None = None
    """Business hours until an operator first answers."""
    resolution_business_days: int | None = None


class ServiceSla(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    service: Service
    targets: tuple[SlaTarget, ...] = ()
    payroll_days_before_payday: int | None = None
    """Payroll only: deliver results this many business days before payday."""

    def target(self, priority: Priority) -> SlaTarget | None:
        return next((t for t in self.targets if t.priority == priority), None)


class OidcSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The client's own identity provider. The secret stays in the environment: the file
    only names the variable that holds it."""

    issuer: str
    client_id: str
    client_secret_env: str
    discovery_url: str | None = None
    required: bool = False
    """True: client users must sign in through this provider (no passwords)."""

    @property
    def discovery_document_url(self) -> str:
        if self.discovery_url is not None:
            return self.discovery_url
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class UserSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A client user to create (email stored in lower case)."""

    email: str
    display_name: str
    role: ClientRole


class OperatorSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A shared-services operator assigned to this tenant."""

    email: str
    role: OperatorRole = "operator"


class TenantSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One client company, as declared in `tenants/<slug>.yaml`."""

    slug: str
    name: str
    name_kana: str
    corporate_number: str
    """法人番号, 13 digits, check digit verified."""
    prefecture: str
    """JIS X 0401 code of the establishment's prefecture ("13" for 東京都)."""
    services: tuple[Service, ...]
    locale: Locale = "ja"
    time_zone: str = DEFAULT_TIME_ZONE
    status: TenantStatus = "active"
    require_mfa: bool = False
    oidc: OidcSpec | None = None
    sla: tuple[ServiceSla, ...] = ()
    calendar: CalendarSpec = msgspec.field(default_factory=CalendarSpec)
    payroll: PayrollSpec | None = None
    users: tuple[UserSpec, ...] = ()
    operators: tuple[OperatorSpec, ...] = ()

    def sla_for(self, service: Service) -> ServiceSla | None:
        return next((s for s in self.sla if s.service == service), None)


# --------------------------------------------------------------------------- errors


class SpecError(msgspec.Struct, frozen=True, kw_only=True):
    """One problem in one tenant file. `line` is 1-based (0: the whole file); `field` is a
    path like `users[1].email` ("" when the problem is not about one field)."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class TenantSpecErrors(ValueError):
    """Every problem found in a set of tenant files; str() is one line per problem."""

    def __init__(self, errors: Sequence[SpecError]) -> None:
        self.errors: tuple[SpecError, ...] = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


# --------------------------------------------------------------------------- node reading

_STR: Final = "tag:yaml.org,2002:str"
_INT: Final = "tag:yaml.org,2002:int"
_FLOAT: Final = "tag:yaml.org,2002:float"
_BOOL: Final = "tag:yaml.org,2002:bool"
_NULL: Final = "tag:yaml.org,2002:null"
_TIMESTAMP: Final = "tag:yaml.org,2002:timestamp"
_MERGE: Final = "tag:yaml.org,2002:merge"

# Only its scalar methods are used; they keep no state between calls.
_SCALARS: Final = SafeConstructor()

_T = TypeVar("_T")
_S = TypeVar("_S", bound=str)

_SLUG_RE: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CODE_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ENV_NAME_RE: Final = re.compile(r"[A-Z][A-Z0-9_]*")
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH_DAY_RE: Final = re.compile(r"(\d{2})-(\d{2})")
_HOURS_RE: Final = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_EMAIL_RE: Final = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
# Full-width katakana (ァ..ヺ), ・, ー, ヽ, ヾ and the full-width space.
_KANA_RE: Final = re.compile(r"[\u30a1-\u30fa\u30fb\u30fc\u30fd\u30fe\u3000]")
_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _describe(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    value = str(node.value)
    return f'"{value}"' if node.tag == _STR else value


class _Mapping:
    """The known keys of one YAML mapping, with their key and value nodes."""

    def __init__(self, node: MappingNode, path: str) -> None:
        self.node = node
        self.path = path
        self.keys: dict[str, Node] = {}
        self.values: dict[str, Node] = {}

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def item(self, key: str) -> tuple[Node | None, str]:
        """The value node (None when absent or null) and the field path of `key`."""
        value = self.values.get(key)
        if value is not None and value.tag == _NULL:
            value = None
        return value, _join(self.path, key)


class _Reader:
    """Walks one file's node tree, turning nodes into values and recording every error."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[SpecError] = []

    def error(self, at: Node | int, field: str, reason: str) -> None:
        line = at if isinstance(at, int) else _line(at)
        self.errors.append(SpecError(file=self.file, line=line, field=field, reason=reason))

    # -- structure

    def mapping(
        self,
        node: Node | None,
        path: str,
        keys: Sequence[str],
        required: Sequence[str] = (),
        forbidden: Mapping[str, str] | None = None,
    ) -> _Mapping | None:
        if node is None:
            return None
        if not isinstance(node, MappingNode):
            self.error(node, path, f"must be a mapping, got {_describe(node)}")
            return None
        found = _Mapping(node, path)
        seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.error(key_node, path, "merge keys (<<) are not supported")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR:
                self.error(key_node, path, f"keys must be text, got {_describe(key_node)}")
                continue
            name = str(key_node.value)
            field = _join(path, name)
            if name in seen:
                self.error(key_node, field, f"duplicate key, first at line {_line(seen[name])}")
                continue
            seen[name] = key_node
            if forbidden and name in forbidden:
                self.error(key_node, field, forbidden[name])
            elif name not in keys:
                self.error(key_node, field, _unknown_key_reason(name, keys))
            else:
                found.keys[name] = key_node
                found.values[name] = value_node
        for name in required:
            if name not in found:
                self.error(node, _join(path, name), "is required")
            elif found.values[name].tag == _NULL:
                self.error(found.keys[name], _join(path, name), "must not be empty")
        return found

    def sequence(self, node: Node | None, path: str) -> list[Node] | None:
        if node is None:
            return None
        if not isinstance(node, SequenceNode):
            self.error(node, path, f"must be a list, got {_describe(node)}")
            return None
        return list(node.value)

    def entries(
        self, node: Node | None, path: str, read: Callable[[Node, str], _T | None]
    ) -> list[tuple[str, Node, _T]]:
        """Read every element of a list: (path, node, value) of those without errors."""
        found: list[tuple[str, Node, _T]] = []
        for index, element in enumerate(self.sequence(node, path) or ()):
            here = f"{path}[{index}]"
            value = read(element, here)
            if value is not None:
                found.append((here, element, value))
        return found

    def items(
        self, node: Node | None, path: str, read: Callable[[Node, str], _T | None]
    ) -> tuple[_T, ...]:
        return tuple(value for _, _, value in self.entries(node, path, read))

    # -- scalars

    def raw(self, node: Node | None, path: str, what: str) -> str | None:
        """The scalar's source text, whatever type YAML would have given it."""
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.error(node, path, f"must be {what}, got {_describe(node)}")
            return None
        return str(node.value)

    def text(self, node: Node | None, path: str) -> str | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or node.tag != _STR:
            reason = "must be text"
            if isinstance(node, ScalarNode):
                reason += f", got {_describe(node)} (quote it to make it text)"
            else:
                reason += f", got {_describe(node)}"
            self.error(node, path, reason)
            return None
        value = str(node.value)
        if not value.strip():
            self.error(node, path, "must not be empty")
            return None
        return value

    def choice(self, node: Node | None, path: str, options: tuple[_S, ...]) -> _S | None:
        value = self.raw(node, path, "one of " + ", ".join(options))
        if value is None or node is None:
            return None
        for option in options:
            if value == option:
                return option
        self.error(node, path, f"must be one of {', '.join(options)}, got {_describe(node)}")
        return None

    def integer(self, node: Node | None, path: str, low: int, high: int) -> int | None:
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.tag == _INT:
            value = int(_SCALARS.construct_yaml_int(node))
            if low <= value <= high:
                return value
        self.error(node, path, f"must be an integer from {low} to {high}, got {_describe(node)}")
        return None

    def boolean(self, node: Node | None, path: str) -> bool | None:
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.tag == _BOOL:
            return bool(_SCALARS.construct_yaml_bool(node))
        self.error(node, path, f"must be true or false, got {_describe(node)}")
        return None

    def date(self, node: Node | None, path: str) -> dt.date | None:
        value = self.raw(node, path, "a date (YYYY-MM-DD)")
        if value is None or node is None:
            return None
        parsed = _parse_date(value) if node.tag in (_STR, _TIMESTAMP) else None
        if parsed is None:
            self.error(node, path, f"must be a date (YYYY-MM-DD), got {_describe(node)}")
        return parsed

    def decimal(
        self, node: Node | None, path: str, low: Decimal, high: Decimal, places: int = 3
    ) -> Decimal | None:
        value = self.raw(node, path, "a number")
        if value is None or node is None:
            return None
        number: Decimal | None = None
        if node.tag in (_STR, _INT, _FLOAT):
            try:
                number = Decimal(value.replace("_", "") if node.tag != _STR else value)
            except InvalidOperation:
                number = None
        if number is None or not number.is_finite():
            self.error(node, path, f"must be a number, got {_describe(node)}")
            return None
        if not low <= number <= high:
            self.error(node, path, f"must be from {low} to {high}, got {value}")
            return None
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            self.error(node, path, f"must have at most {places} decimal places, got {value}")
            return None
        return number


def _value_node(node: Node, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if k.tag == _STR and k.value == key), None)


def _unknown_key_reason(name: str, keys: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, keys, n=1)
    if close:
        return f'unknown key, did you mean "{close[0]}"?'
    return "unknown key, expected one of: " + ", ".join(keys)


def _parse_date(text: str) -> dt.date | None:
    if not _DATE_RE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _parse_month_day(text: str) -> MonthDay | None:
    match = _MONTH_DAY_RE.fullmatch(text)
    if match is None:
        return None
    month, day = int(match[1]), int(match[2])
    try:
        dt.date(2024, month, day)  # a leap year, so 02-29 is a real annual day
    except ValueError:
        return None
    return MonthDay(month=month, day=day)


# --------------------------------------------------------------------------- the loader

_ROOT_KEYS: Final = (
    "slug",
    "name",
    "name_kana",
    "corporate_number",
    "prefecture",
    "services",
    "locale",
    "time_zone",
    "status",
    "require_mfa",
    "oidc",
    "sla",
    "calendar",
    "payroll",
    "users",
    "operators",
)
_ROOT_REQUIRED: Final = ("slug", "name", "name_kana", "corporate_number", "prefecture", "services")
_OIDC_KEYS: Final = ("issuer", "discovery_url", "client_id", "client_secret_env", "required")
_TARGET_KEYS: Final = ("first_response_hours", "resolution_business_days")
_CALENDAR_KEYS: Final = ("working_hours", "closures", "extra_days_off")
_CLOSURE_KEYS: Final = ("label", "start", "end")
_PAYROLL_KEYS: Final = ("pay_groups", "employment_insurance_industry", "health_insurer")
_PAY_GROUP_KEYS: Final = (
    "code",
    "name",
    "closing_day",
    "pay_day",
    "pay_month_offset",
    "bank_cutoff_business_days",
)
_INSURER_KEYS: Final = ("kind", "name", "rates")
_RATE_KEYS: Final = (
    "valid_from",
    "health_percent",
    "care_percent",
    "employee_health_percent",
    "employee_care_percent",
)
_USER_KEYS: Final = ("email", "display_name", "role")
_NO_TARGET: Final = "must set first_response_hours or resolution_business_days"
_OPERATOR_KEYS: Final = ("email", "role")


class _Located(msgspec.Struct, frozen=True):
    """A value that must be unique across files, and where it was written."""

    value: str
    file: str
    line: int


class _FileResult(msgspec.Struct):
    spec: TenantSpec | None
    errors: list[SpecError]
    slug: _Located | None = None
    corporate_number: _Located | None = None


def load_tenant_files(paths: Iterable[str | PathLike[str]]) -> list[TenantSpec]:
    """Load and validate tenant files, in the order given.

    Raises `TenantSpecErrors` listing every problem in every file (and duplicate slugs or
    corporate numbers across files); returns the specs only when there is none.
    """
    results = [_load_file(str(path)) for path in paths]
    errors: list[SpecError] = []
    first_slug: dict[str, _Located] = {}
    first_number: dict[str, _Located] = {}
    for result in results:
        file_errors = list(result.errors)
        for located, first, what in (
            (result.slug, first_slug, "slug"),
            (result.corporate_number, first_number, "corporate_number"),
        ):
            if located is None:
                continue
            if located.value in first:
                other = first[located.value]
                file_errors.append(
                    SpecError(
                        file=located.file,
                        line=located.line,
                        field=what,
                        reason=f"duplicate {what.replace('_', ' ')}, "
                        f"also in {other.file}:{other.line}",
                    )
                )
            else:
                first[located.value] = located
        errors.extend(sorted(file_errors, key=lambda error: error.line))
    if errors:
        raise TenantSpecErrors(errors)
    return [result.spec for result in results if result.spec is not None]


def load_tenant_dir(directory: str | PathLike[str]) -> list[TenantSpec]:
    """Load every `*.yaml` / `*.yml` file directly in `directory`, sorted by name."""
    folder = Path(directory)
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return load_tenant_files(paths)


def _load_file(file: str) -> _FileResult:
    reader = _Reader(file)
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        reader.error(0, "", f"cannot read the file: {exc.strerror or exc}")
        return _FileResult(spec=None, errors=reader.errors)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reader.error(data[: exc.start].count(b"\n") + 1, "", "not valid UTF-8 text")
        return _FileResult(spec=None, errors=reader.errors)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        reader.error(line, "", f"YAML syntax error: {exc.problem or exc.context}")
        return _FileResult(spec=None, errors=reader.errors)
    except yaml.YAMLError as exc:
        reader.error(1, "", f"YAML syntax error: {exc}")
        return _FileResult(spec=None, errors=reader.errors)
    if root is None:
        reader.error(1, "", "the file is empty; expected a mapping of tenant settings")
        return _FileResult(spec=None, errors=reader.errors)
    return _read_tenant(reader, root, Path(file).stem)


def _read_tenant(r: _Reader, root: Node, stem: str) -> _FileResult:
    m = r.mapping(root, "", _ROOT_KEYS, _ROOT_REQUIRED)
    if m is None:
        return _FileResult(spec=None, errors=r.errors)

    slug_node, slug_path = m.item("slug")
    slug = r.text(slug_node, slug_path)
    slug_at: _Located | None = None
    if slug is not None and slug_node is not None:
        if not (_SLUG_RE.fullmatch(slug) and len(slug) <= 63):
            r.error(slug_node, slug_path, "must be lowercase letters, digits and single hyphens")
            slug = None
        elif slug != stem:
            r.error(slug_node, slug_path, f'must match the file name "{stem}"')
            slug = None
        else:
            slug_at = _Located(slug, r.file, _line(slug_node))

    name = r.text(*m.item("name"))
    name_kana = _read_kana(r, *m.item("name_kana"))

    number_node, number_path = m.item("corporate_number")
    corporate_number = r.raw(number_node, number_path, "13 digits")
    number_at: _Located | None = None
    if corporate_number is not None and number_node is not None:
        problem = corporate_number_error(corporate_number)
        if problem is not None:
            r.error(number_node, number_path, problem)
            corporate_number = None
        else:
            number_at = _Located(corporate_number, r.file, _line(number_node))

    prefecture = _read_prefecture(r, *m.item("prefecture"))
    services = _read_services(r, *m.item("services"))
    locale = r.choice(*m.item("locale"), LOCALES) or "ja"
    time_zone = _read_time_zone(r, *m.item("time_zone")) or DEFAULT_TIME_ZONE
    status = r.choice(*m.item("status"), TENANT_STATUSES) or "active"
    require_mfa = r.boolean(*m.item("require_mfa")) or False
    oidc = _read_oidc(r, *m.item("oidc"))
    calendar = _read_calendar(r, *m.item("calendar"))
    payroll = _read_payroll(r, *m.item("payroll"))
    if m.item("payroll")[0] is not None and services is not None and "payroll" not in services:
        r.error(m.keys["payroll"], "payroll", 'is set but "payroll" is not in services')
    sla = _read_sla(r, *m.item("sla"), services, payroll)
    users = r.entries(*m.item("users"), lambda node, path: _read_user(r, node, path))
    operators = r.entries(*m.item("operators"), lambda node, path: _read_operator(r, node, path))
    _check_unique_emails(r, [*users, *operators])

    spec: TenantSpec | None = None
    if (
        not r.errors
        and slug is not None
        and name is not None
        and name_kana is not None
        and corporate_number is not None
        and prefecture is not None
        and services is not None
    ):
        spec = TenantSpec(
            slug=slug,
            name=name,
            name_kana=name_kana,
            corporate_number=corporate_number,
            prefecture=prefecture,
            services=services,
            locale=locale,
            time_zone=time_zone,
            status=status,
            require_mfa=require_mfa,
            oidc=oidc,
            sla=sla,
            calendar=calendar,
            payroll=payroll,
            users=tuple(user for _, _, user in users),
            operators=tuple(operator for _, _, operator in operators),
        )
    return _FileResult(spec=spec, errors=r.errors, slug=slug_at, corporate_number=number_at)


def _read_kana(r: _Reader, node: Node | None, path: str) -> str | None:
    value = r.text(node, path)
    if value is None or node is None:
        return None
    bad = next((char for char in value if not _KANA_RE.fullmatch(char)), None)
    if bad is not None:
        r.error(node, path, f'must be full-width katakana, found "{bad}"')
        return None
    return value


def _read_prefecture(r: _Reader, node: Node | None, path: str) -> str | None:
    value = r.raw(node, path, "a prefecture code or name")
    if value is None or node is None:
        return None
    found = find_prefecture(value)
    if found is not None:
        return found.code
    romaji = {p.romaji.casefold(): p for p in PREFECTURES}
    close = difflib.get_close_matches(value.casefold(), romaji, n=1)
    if close:
        guess = romaji[close[0]]
        r.error(node, path, f'unknown prefecture "{value}", did you mean "{guess.romaji}"?')
    else:
        r.error(
            node,
            path,
            f'unknown prefecture "{value}", expected a JIS X 0401 code (01-47) '
            "or a name such as 東京都 or Tokyo",
        )
    return None


def _read_services(r: _Reader, node: Node | None, path: str) -> tuple[Service, ...] | None:
    elements = r.sequence(node, path)
    if elements is None or node is None:
        return None
    services: list[Service] = []
    ok = True
    for index, element in enumerate(elements):
        service = r.choice(element, f"{path}[{index}]", SERVICES)
        if service is None:
            ok = False
        elif service in services:
            r.error(element, f"{path}[{index}]", f'duplicate service "{service}"')
            ok = False
        else:
            services.append(service)
    if not elements:
        r.error(node, path, "must list at least one of " + ", ".join(SERVICES))
        return None
    return tuple(services) if ok else None


def _read_time_zone(r: _Reader, node: Node | None, path: str) -> str | None:
    value = r.text(node, path)
    if value is None or node is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        r.error(node, path, f'unknown IANA time zone "{value}" (e.g. Asia/Tokyo)')
        return None
    return value


def _read_url(r: _Reader, node: Node | None, path: str) -> str | None:
    value = r.text(node, path)
    if value is None or node is None:
        return None
    parts = urlsplit(value)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and parts.netloc.split(":")[0] in _LOCAL_HOSTS
    )
    if not (secure and parts.netloc) or parts.query or parts.fragment:
        r.error(node, path, "must be an https URL without query or fragment")
        return None
    return value


def _read_oidc(r: _Reader, node: Node | None, path: str) -> OidcSpec | None:
    m = r.mapping(
        node,
        path,
        _OIDC_KEYS,
        ("issuer", "client_id", "client_secret_env"),
        forbidden={
            "client_secret": "secrets never go in tenant files: put it in an environment "
            "variable and name that variable in client_secret_env",
        },
    )
    if m is None:
        return None
    issuer = _read_url(r, *m.item("issuer"))
    discovery_url = _read_url(r, *m.item("discovery_url"))
    client_id = r.text(*m.item("client_id"))
    env_node, env_path = m.item("client_secret_env")
    client_secret_env = r.text(env_node, env_path)
    if (
        client_secret_env is not None
        and env_node is not None
        and not _ENV_NAME_RE.fullmatch(client_secret_env)
    ):
        r.error(
            env_node,
            env_path,
            "must be the name of an environment variable (A-Z, 0-9, _), not the secret itself",
        )
        client_secret_env = None
    required = r.boolean(*m.item("required")) or False
    if issuer is None or client_id is None or client_secret_env is None:
        return None
    return OidcSpec(
        issuer=issuer,
        client_id=client_id,
        client_secret_env=client_secret_env,
        discovery_url=discovery_url,
        required=required,
    )


def _read_sla(
    r: _Reader,
    node: Node | None,
    path: str,
    services: tuple[Service, ...] | None,
    payroll: PayrollSpec | None,
) -> tuple[ServiceSla, ...]:
    m = r.mapping(node, path, SERVICES)
    if m is None:
        return ()
    found: list[ServiceSla] = []
    for service in SERVICES:
        if service not in m:
            continue
        service_node, service_path = m.item(service)
        if services is not None and service not in services:
            r.error(m.keys[service], service_path, f'"{service}" is not in services')
        keys: tuple[str, ...] = PRIORITIES
        if service == "payroll":
            keys += ("payroll_days_before_payday",)
        sm = r.mapping(service_node, service_path, keys)
        if sm is None:
            if service_node is None:
                r.error(m.keys[service], service_path, "must set at least one target")
            continue
        targets: list[SlaTarget] = []
        for priority in PRIORITIES:
            target_node, target_path = sm.item(priority)
            if priority in sm and target_node is None:
                r.error(sm.keys[priority], target_path, _NO_TARGET)
            target = _read_target(r, target_node, target_path, priority)
            if target is not None:
                targets.append(target)
        days_node, days_path = sm.item("payroll_days_before_payday")
        days = r.integer(days_node, days_path, 1, 20)
        if not sm.keys:
            r.error(sm.node, service_path, "must set at least one target")
            continue
        if days is not None and days_node is not None and payroll is not None:
            for group in payroll.pay_groups:
                if days < group.bank_cutoff_business_days:
                    r.error(
                        days_node,
                        days_path,
                        f'must be at least the bank cut-off of pay group "{group.code}" '
                        f"({group.bank_cutoff_business_days} business days before payday)",
                    )
        found.append(
            ServiceSla(service=service, targets=tuple(targets), payroll_days_before_payday=days)
        )
    return tuple(found)


def _read_target(r: _Reader, node: Node | None, path: str, priority: Priority) -> SlaTarget | None:
    m = r.mapping(node, path, _TARGET_KEYS)
    if m is None:
        return None
    first_response = r.integer(*m.item("first_response_hours"), 1, 168)
    resolution = r.integer(*m.item("resolution_business_days"), 1, 60)
    if not m.keys:
        r.error(m.node, path, _NO_TARGET)
        return None
    return SlaTarget(
        priority=priority,
        first_response_hours=first_response,
        resolution_business_days=resolution,
    )


def _read_calendar(r: _Reader, node: Node | None, path: str) -> CalendarSpec:
    m = r.mapping(node, path, _CALENDAR_KEYS)
    if m is None:
        return CalendarSpec()
    hours_node, hours_path = m.item("working_hours")
    working_hours = _read_working_hours(r, hours_node, hours_path) or _default_working_hours()
    closures = r.items(*m.item("closures"), lambda node, path: _read_closure(r, node, path))
    days_node, days_path = m.item("extra_days_off")
    days: list[dt.date] = []
    for index, element in enumerate(r.sequence(days_node, days_path) or ()):
        day = r.date(element, f"{days_path}[{index}]")
        if day is not None and day in days:
            r.error(element, f"{days_path}[{index}]", f"duplicate date {day.isoformat()}")
        elif day is not None:
            days.append(day)
    return CalendarSpec(working_hours=working_hours, closures=closures, extra_days_off=tuple(days))


def _read_working_hours(r: _Reader, node: Node | None, path: str) -> WorkingHours | None:
    value = r.text(node, path)
    if value is None or node is None:
        return None
    match = _HOURS_RE.fullmatch(value)
    hours: WorkingHours | None = None
    if match is not None:
        try:
            start = dt.time(int(match[1]), int(match[2]))
            end = dt.time(int(match[3]), int(match[4]))
        except ValueError:
            pass
        else:
            if start < end:
                hours = WorkingHours(start=start, end=end)
    if hours is None:
        r.error(
            node,
            path,
            f'must be "HH:MM-HH:MM" with the start first (e.g. 09:00-18:00), got {_describe(node)}',
        )
    return hours


def _read_day(r: _Reader, node: Node | None, path: str) -> dt.date | MonthDay | None:
    value = r.raw(node, path, "a date")
    if value is None or node is None:
        return None
    day: dt.date | MonthDay | None = None
    if node.tag in (_STR, _TIMESTAMP):
        day = _parse_month_day(value) or _parse_date(value)
    if day is None:
        r.error(
            node,
            path,
            f"must be MM-DD (every year) or YYYY-MM-DD (once), got {_describe(node)}",
        )
    return day


def _read_closure(r: _Reader, node: Node, path: str) -> Closure | None:
    m = r.mapping(node, path, _CLOSURE_KEYS, _CLOSURE_KEYS)
    if m is None:
        return None
    label = r.text(*m.item("label"))
    start = _read_day(r, *m.item("start"))
    end_node, end_path = m.item("end")
    end = _read_day(r, end_node, end_path)
    if label is None or start is None or end is None or end_node is None:
        return None
    if isinstance(start, MonthDay) != isinstance(end, MonthDay):
        r.error(end_node, end_path, "must be written like start: both MM-DD or both YYYY-MM-DD")
        return None
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        r.error(end_node, end_path, f"must not be before start ({start.isoformat()})")
        return None
    return Closure(label=label, start=start, end=end)


def _read_payroll(r: _Reader, node: Node | None, path: str) -> PayrollSpec | None:
    m = r.mapping(node, path, _PAYROLL_KEYS, ("pay_groups",))
    if m is None:
        return None
    groups_node, groups_path = m.item("pay_groups")
    entries = r.entries(groups_node, groups_path, lambda node, path: _read_pay_group(r, node, path))
    if isinstance(groups_node, SequenceNode) and not groups_node.value:
        r.error(groups_node, groups_path, "must list at least one pay group")
    codes: dict[str, str] = {}
    groups: list[PayGroup] = []
    for group_path, group_node, group in entries:
        if group.code in codes:
            r.error(
                _value_node(group_node, "code") or group_node,
                f"{group_path}.code",
                f'duplicate code "{group.code}", also {codes[group.code]}',
            )
        else:
            codes[group.code] = group_path
            groups.append(group)
    industry = r.choice(*m.item("employment_insurance_industry"), EMPLOYMENT_INSURANCE_INDUSTRIES)
    insurer = _read_insurer(r, *m.item("health_insurer")) or HealthInsurerSpec()
    if not groups:
        return None
    return PayrollSpec(
        pay_groups=tuple(groups),
        employment_insurance_industry=industry or "general",
        health_insurer=insurer,
    )


def _read_day_of_month(r: _Reader, node: Node | None, path: str) -> DayOfMonth | None:
    if node is None:
        return None
    if isinstance(node, ScalarNode):
        if node.tag == _STR and node.value == "end":
            return "end"
        if node.tag == _INT:
            value = int(_SCALARS.construct_yaml_int(node))
            if 1 <= value <= 31:
                return value
    r.error(node, path, f'must be a day from 1 to 31 or "end", got {_describe(node)}')
    return None


def _read_pay_group(r: _Reader, node: Node, path: str) -> PayGroup | None:
    m = r.mapping(node, path, _PAY_GROUP_KEYS, ("code", "name", "closing_day", "pay_day"))
    if m is None:
        return None
    code_node, code_path = m.item("code")
    code = r.text(code_node, code_path)
    if code is not None and code_node is not None and not _CODE_RE.fullmatch(code):
        r.error(code_node, code_path, 'must be lowercase letters, digits, "-" or "_"')
        code = None
    name = r.text(*m.item("name"))
    closing_day = _read_day_of_month(r, *m.item("closing_day"))
    pay_day = _read_day_of_month(r, *m.item("pay_day"))
    offset_node, offset_path = m.item("pay_month_offset")
    offset = r.integer(offset_node, offset_path, 0, 1)
    cutoff = r.integer(*m.item("bank_cutoff_business_days"), 0, 10)
    if code is None or name is None or closing_day is None or pay_day is None:
        return None
    return PayGroup(
        code=code,
        name=name,
        closing_day=closing_day,
        pay_day=pay_day,
        pay_month_offset=1 if offset == 1 else 0,
        bank_cutoff_business_days=DEFAULT_BANK_CUTOFF_BUSINESS_DAYS if cutoff is None else cutoff,
    )


def _read_insurer(r: _Reader, node: Node | None, path: str) -> HealthInsurerSpec | None:
    m = r.mapping(node, path, _INSURER_KEYS, ("kind",))
    if m is None:
        return None
    kind = r.choice(*m.item("kind"), HEALTH_INSURER_KINDS)
    if kind == "kyokai":
        if "name" in m:
            r.error(m.keys["name"], _join(path, "name"), "is not set for 協会けんぽ")
        if "rates" in m:
            r.error(
                m.keys["rates"],
                _join(path, "rates"),
                "協会けんぽ rates follow the prefecture's rate table; set rates only for kumiai",
            )
        return HealthInsurerSpec(kind="kyokai")
    if kind is None:
        return None
    name_node, name_path = m.item("name")
    name = r.text(name_node, name_path)
    if name_node is None:
        r.error(m.keys.get("name", m.node), name_path, "is required for kumiai")
    rates: list[KumiaiRate] = []
    for rate_path, rate_node, rate in r.entries(
        *m.item("rates"), lambda node, path: _read_rate(r, node, path)
    ):
        if rates and rate.valid_from <= rates[-1].valid_from:
            r.error(
                _value_node(rate_node, "valid_from") or rate_node,
                f"{rate_path}.valid_from",
                f"must be later than the previous rate's ({rates[-1].valid_from.isoformat()})",
            )
        else:
            rates.append(rate)
    if name is None:
        return None
    return HealthInsurerSpec(kind="kumiai", name=name, rates=tuple(rates))


def _read_rate(r: _Reader, node: Node, path: str) -> KumiaiRate | None:
    m = r.mapping(node, path, _RATE_KEYS, ("valid_from", "health_percent", "care_percent"))
    if m is None:
        return None
    from_node, from_path = m.item("valid_from")
    valid_from = r.date(from_node, from_path)
    if valid_from is not None and from_node is not None and valid_from.day != 1:
        r.error(from_node, from_path, "must be the first day of an insurance month")
        valid_from = None
    # 健康保険法 §160(13): a 組合's rate is between 30/1000 and 130/1000.
    health = r.decimal(*m.item("health_percent"), Decimal(3), Decimal(13))
    care = r.decimal(*m.item("care_percent"), Decimal(0), Decimal(10))
    employee_health = _read_employee_share(r, *m.item("employee_health_percent"), health)
    employee_care = _read_employee_share(r, *m.item("employee_care_percent"), care)
    if valid_from is None or health is None or care is None:
        return None
    return KumiaiRate(
        valid_from=valid_from,
        health_percent=health,
        care_percent=care,
        employee_health_percent=employee_health,
        employee_care_percent=employee_care,
    )


def _read_employee_share(
    r: _Reader, node: Node | None, path: str, total: Decimal | None
) -> Decimal | None:
    # 健康保険法 §162: a 組合 may raise the employer's share, never the employee's.
    share = r.decimal(node, path, Decimal(0), Decimal(13))
    if share is not None and node is not None and total is not None and share * 2 > total:
        r.error(node, path, f"must not exceed half of the rate ({total / 2})")
        return None
    return share


def _read_email(r: _Reader, node: Node | None, path: str) -> str | None:
    value = r.text(node, path)
    if value is None or node is None:
        return None
    if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
        r.error(node, path, "not an email address")
        return None
    return value.lower()


def _read_user(r: _Reader, node: Node, path: str) -> UserSpec | None:
    m = r.mapping(node, path, _USER_KEYS, _USER_KEYS)
    if m is None:
        return None
    email = _read_email(r, *m.item("email"))
    display_name = r.text(*m.item("display_name"))
    role = r.choice(*m.item("role"), CLIENT_ROLES)
    if email is None or display_name is None or role is None:
        return None
    return UserSpec(email=email, display_name=display_name, role=role)


def _read_operator(r: _Reader, node: Node, path: str) -> OperatorSpec | None:
    m = r.mapping(node, path, _OPERATOR_KEYS, ("email",))
    if m is None:
        return None
    email = _read_email(r, *m.item("email"))
    role = r.choice(*m.item("role"), OPERATOR_ROLES) or "operator"
    if email is None:
        return None
    return OperatorSpec(email=email, role=role)


def _check_unique_emails(
    r: _Reader, people: Sequence[tuple[str, Node, UserSpec | OperatorSpec]]
) -> None:
    """A person appears once per file: as one client user or as one operator."""
    seen: dict[str, str] = {}
    for path, node, person in people:
        if person.email in seen:
            email_node = _value_node(node, "email") or node
            r.error(email_node, f"{path}.email", f"duplicate email, also {seen[person.email]}")
        else:
            seen[person.email] = path


# --------------------------------------------------------------------------- the dumper


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, the way people write YAML."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = f"{value:f}"
    return dumper.represent_scalar(_FLOAT if "." in text else _INT, text)


_Dumper.add_representer(Decimal, _represent_decimal)


def _day_value(day: dt.date | MonthDay) -> dt.date | str:
    return str(day) if isinstance(day, MonthDay) else day


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _dump_sla(sla: Sequence[ServiceSla]) -> dict[str, Any]:
    dumped: dict[str, Any] = {}
    for service in sla:
        entry: dict[str, Any] = {}
        if service.payroll_days_before_payday is not None:
            entry["payroll_days_before_payday"] = service.payroll_days_before_payday
        for target in service.targets:
            entry[target.priority] = _without_none(
                {
                    "first_response_hours": target.first_response_hours,
                    "resolution_business_days": target.resolution_business_days,
                }
            )
        dumped[service.service] = entry
    return dumped


def _dump_calendar(calendar: CalendarSpec) -> dict[str, Any]:
    dumped: dict[str, Any] = {}
    if calendar.working_hours != _default_working_hours():
        dumped["working_hours"] = str(calendar.working_hours)
    if calendar.closures:
        dumped["closures"] = [
            {"label": c.label, "start": _day_value(c.start), "end": _day_value(c.end)}
            for c in calendar.closures
        ]
    if calendar.extra_days_off:
        dumped["extra_days_off"] = list(calendar.extra_days_off)
    return dumped


def _dump_payroll(payroll: PayrollSpec) -> dict[str, Any]:
    dumped: dict[str, Any] = {
        "pay_groups": [
            {
                "code": g.code,
                "name": g.name,
                "closing_day": g.closing_day,
                "pay_day": g.pay_day,
                "pay_month_offset": g.pay_month_offset,
                "bank_cutoff_business_days": g.bank_cutoff_business_days,
            }
            for g in payroll.pay_groups
        ]
    }
    if payroll.employment_insurance_industry != "general":
        dumped["employment_insurance_industry"] = payroll.employment_insurance_industry
    insurer = payroll.health_insurer
    if insurer != HealthInsurerSpec():
        entry: dict[str, Any] = {"kind": insurer.kind}
        if insurer.name is not None:
            entry["name"] = insurer.name
        if insurer.rates:
            entry["rates"] = [
                _without_none(
                    {
                        "valid_from": rate.valid_from,
                        "health_percent": rate.health_percent,
                        "care_percent": rate.care_percent,
                        "employee_health_percent": rate.employee_health_percent,
                        "employee_care_percent": rate.employee_care_percent,
                    }
                )
                for rate in insurer.rates
            ]
        dumped["health_insurer"] = entry
    return dumped


_SPACED_SECTIONS: Final = frozenset({"oidc", "sla", "calendar", "payroll", "users", "operators"})


def dump_tenant_spec(spec: TenantSpec) -> str:
    """The spec as tenant-file YAML (defaults left out) that loads back to an equal spec."""
    data: dict[str, Any] = {
        "slug": spec.slug,
        "name": spec.name,
        "name_kana": spec.name_kana,
        "corporate_number": spec.corporate_number,
        "prefecture": spec.prefecture,
        "services": list(spec.services),
    }
    if spec.locale != "ja":
        data["locale"] = spec.locale
    if spec.time_zone != DEFAULT_TIME_ZONE:
        data["time_zone"] = spec.time_zone
    if spec.status != "active":
        data["status"] = spec.status
    if spec.require_mfa:
        data["require_mfa"] = True
    if spec.oidc is not None:
        oidc = spec.oidc
        data["oidc"] = _without_none(
            {
                "issuer": oidc.issuer,
                "discovery_url": oidc.discovery_url,
                "client_id": oidc.client_id,
                "client_secret_env": oidc.client_secret_env,
                "required": oidc.required or None,
            }
        )
    if spec.sla:
        data["sla"] = _dump_sla(spec.sla)
    calendar = _dump_calendar(spec.calendar)
    if calendar:
        data["calendar"] = calendar
    if spec.payroll is not None:
        data["payroll"] = _dump_payroll(spec.payroll)
    if spec.users:
        data["users"] = [
            {"email": u.email, "display_name": u.display_name, "role": u.role} for u in spec.users
        ]
    if spec.operators:
        data["operators"] = [{"email": o.email, "role": o.role} for o in spec.operators]
    text = yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1000,
    )
    # A blank line before each big section, so the file reads in paragraphs.
    out: list[str] = []
    for line in text.splitlines():
        if line.split(":", 1)[0] in _SPACED_SECTIONS:
            out.append("")
        out.append(line)
    return "\n".join(out) + "\n"
