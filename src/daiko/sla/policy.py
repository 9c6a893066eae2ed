"""SLA policies and the clocks a case runs, pure: no I/O.

A tenant's policy comes from its file's `sla` section (stored in `tenants.settings`),
field by field overridden by a lead's row in `sla_policies`, over built-in defaults.
From the policy, the case and the tenant's calendar and pay groups come the clocks:

- contractual durations (business time): first response, acceptance, resolution;
- contractual date rules (payroll cases with a pay date): payroll results N business
  days before the pay date (end of the working day), and the bank transfer data by the
  bank cut-off, the pay group's N bank business days before the pay date, at 15:00;
- statutory deadlines (domain §2.1) of social-insurance procedures, on the government
  calendar, kept as separate clocks beside the contractual ones: never merged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal, TypeVar

import msgspec

from daiko.sla.calendar import (
    BusinessCalendar,
    calendar_from_spec,
    japan_bank_calendar,
    japan_government_calendar,
)
from daiko.sla.clock import DeadlineTarget, DurationTarget, StatusChange
from daiko.tenancy.spec import CalendarSpec, PayrollSpec, ServiceSla

ClockKind = Literal["contractual", "statutory"]
_T = TypeVar("_T")
HOUR = dt.timedelta(hours=1)
BANK_CUTOFF_TIME = dt.time(15, 0)
# Filings are due by the office's closing on the due day (窓口 8:30–17:15).
STATUTORY_DUE_TIME = dt.time(17, 0)

TERMINAL = frozenset({"rejected", "cancelled"})
# Any operator action on a submitted case answers it.
ANSWERED = frozenset(
    {"accepted", "in_progress", "waiting_on_client", "in_review", "delivered", "closed"}
)
RESPONDED = "responded"  # a synthetic history entry: the operators' first public message
DONE = frozenset({"delivered", "closed"})
PAUSE = frozenset({"waiting_on_client"})
STARTED = frozenset({"submitted"})
# A deadline runs from the case's first non-draft status.
ANY_OPEN = frozenset(
    {"submitted", "accepted", "in_progress", "waiting_on_client", "in_review", *DONE}
)
COMPLETION_CLOCKS = frozenset({"resolution", "payroll_delivery"})


@dataclass(frozen=True)
class Policy:
    """The resolved policy of one tenant × service × priority."""

    service: str
    priority: str
    first_response_hours: Decimal | None
    acceptance_hours: Decimal | None
    resolution_business_days: int | None
    payroll_days_before_payday: int | None
    pause_on_missing_inputs: bool
    reassign_on_breach: bool
    warnings: tuple[Decimal, Decimal]


# Built-in defaults per priority: (first response h, acceptance h, resolution days).
DEFAULTS: Mapping[str, tuple[Decimal, Decimal, int]] = {
    "urgent": (Decimal(2), Decimal(4), 1),
    "high": (Decimal(4), Decimal(8), 2),
    "normal": (Decimal(8), Decimal(16), 3),
    "low": (Decimal(16), Decimal(24), 5),
}
DEFAULT_WARNINGS = (Decimal("0.75"), Decimal("0.90"))
DEFAULT_PAYROLL_DAYS_BEFORE_PAYDAY = 3


@dataclass(frozen=True)
class Override:
    """A row of `sla_policies` (None: not overridden)."""

    first_response_hours: Decimal | None = None
    acceptance_hours: Decimal | None = None
    resolution_business_days: int | None = None
    payroll_days_before_payday: int | None = None
    pause_on_missing_inputs: bool | None = None
    reassign_on_breach: bool | None = None
    warn1_pct: int | None = None
    warn2_pct: int | None = None


@dataclass(frozen=True)
class TenantSla:
    """What the SLA work reads from a tenant row."""

    slug: str
    time_zone: str
    sla: tuple[ServiceSla, ...]
    calendar: CalendarSpec
    payroll: PayrollSpec | None
    team_days_off: frozenset[dt.date] = frozenset()

    @classmethod
    def of(
        cls,
        slug: str,
        time_zone: str,
        settings: Mapping[str, Any] | None,
        team_days_off: frozenset[dt.date] = frozenset(),
    ) -> TenantSla:
        s = settings or {}
        return cls(
            slug=slug,
            time_zone=time_zone,
            sla=msgspec.convert(s.get("sla") or [], tuple[ServiceSla, ...], strict=False),
            calendar=msgspec.convert(s["calendar"], CalendarSpec, strict=False)
            if s.get("calendar")
            else CalendarSpec(),
            payroll=msgspec.convert(s.get("payroll"), PayrollSpec | None, strict=False),
            team_days_off=team_days_off,
        )

    def business_calendar(self) -> BusinessCalendar:
        return calendar_from_spec(
            self.slug, self.calendar, tz=self.time_zone, team_days_off=self.team_days_off
        )


def resolve_policy(
    tenant: TenantSla, service: str, priority: str, override: Override | None = None
) -> Policy:
    fr, acc, res = DEFAULTS.get(priority, DEFAULTS["normal"])
    payroll_days: int | None = None
    service_sla = next((s for s in tenant.sla if s.service == service), None)
    if service_sla is not None:
        target = next((t for t in service_sla.targets if t.priority == priority), None)
        if target is not None:
            if target.first_response_hours is not None:
                fr = Decimal(target.first_response_hours)
            if target.resolution_business_days is not None:
                res = target.resolution_business_days
        payroll_days = service_sla.payroll_days_before_payday
    if service == "payroll" and payroll_days is None:
        payroll_days = DEFAULT_PAYROLL_DAYS_BEFORE_PAYDAY
    policy = Policy(
        service=service,
        priority=priority,
        first_response_hours=fr,
        acceptance_hours=acc,
        resolution_business_days=res,
        payroll_days_before_payday=payroll_days,
        pause_on_missing_inputs=True,
        reassign_on_breach=False,
        warnings=DEFAULT_WARNINGS,
    )
    if override is None:
        return policy
    o = override
    w1 = Decimal(o.warn1_pct) / 100 if o.warn1_pct is not None else policy.warnings[0]
    w2 = Decimal(o.warn2_pct) / 100 if o.warn2_pct is not None else policy.warnings[1]
    return replace(
        policy,
        first_response_hours=_pick(o.first_response_hours, policy.first_response_hours),
        acceptance_hours=_pick(o.acceptance_hours, policy.acceptance_hours),
        resolution_business_days=_pick(o.resolution_business_days, policy.resolution_business_days),
        payroll_days_before_payday=_pick(
            o.payroll_days_before_payday, policy.payroll_days_before_payday
        ),
        pause_on_missing_inputs=_pick(o.pause_on_missing_inputs, policy.pause_on_missing_inputs),
        reassign_on_breach=_pick(o.reassign_on_breach, policy.reassign_on_breach),
        warnings=(min(w1, w2), max(w1, w2)),
    )


def _pick(value: _T | None, fallback: _T) -> _T:
    return fallback if value is None else value


def policy_hash(tenant: TenantSla, overrides: Mapping[tuple[str, str], Override]) -> str:
    """A short fingerprint of everything a clock depends on besides the case: stored on
    each clock, so a changed policy or calendar is noticed and the clocks recomputed."""
    blob = json.dumps(
        {
            "sla": msgspec.to_builtins(tenant.sla),
            "calendar": msgspec.to_builtins(tenant.calendar),
            "payroll": msgspec.to_builtins(tenant.payroll),
            "tz": tenant.time_zone,
            "team_days_off": sorted(d.isoformat() for d in tenant.team_days_off),
            "overrides": sorted(
                [list(k), {f: str(v) for f, v in vars(o).items() if v is not None}]
                for k, o in overrides.items()
            ),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- clocks


@dataclass(frozen=True)
class CaseFacts:
    type: str
    service: str
    priority: str
    status: str
    pay_group: str | None
    pay_date: dt.date | None
    period: str | None


@dataclass(frozen=True)
class ClockSpec:
    name: str
    kind: ClockKind
    label: str  # bilingual, for mail and the API
    target: DurationTarget | DeadlineTarget
    calendar: BusinessCalendar
    one_shot: bool = False  # stops for good at its first stop (first response)
    missing_inputs_pause: bool = False


def _stops(extra: frozenset[str] = frozenset()) -> frozenset[str]:
    return DONE | TERMINAL | extra


def clock_specs(
    tenant: TenantSla,
    policy: Policy,
    case: CaseFacts,
    *,
    submitted_on: dt.date | None,
) -> list[ClockSpec]:
    """Every clock the case runs under the policy, contractual first."""
    cal = tenant.business_calendar()
    w = policy.warnings
    specs: list[ClockSpec] = []
    if policy.first_response_hours is not None:
        specs.append(
            ClockSpec(
                "first_response",
                "contractual",
                "初回応答 (first response)",
                DurationTarget(
                    duration=HOUR * float(policy.first_response_hours),
                    start_statuses=STARTED,
                    stop_statuses=_stops(ANSWERED | {RESPONDED}),
                    pause_statuses=frozenset(),
                    warnings=w,
                ),
                cal,
                one_shot=True,
            )
        )
    if policy.acceptance_hours is not None:
        specs.append(
            ClockSpec(
                "acceptance",
                "contractual",
                "受付 (acceptance)",
                DurationTarget(
                    duration=HOUR * float(policy.acceptance_hours),
                    start_statuses=STARTED,
                    stop_statuses=_stops(ANSWERED),
                    pause_statuses=frozenset(),
                    warnings=w,
                ),
                cal,
                one_shot=True,
            )
        )
    if policy.resolution_business_days is not None:
        specs.append(
            ClockSpec(
                "resolution",
                "contractual",
                "完了 (resolution)",
                DurationTarget(
                    duration=cal.working_day_length() * policy.resolution_business_days,
                    start_statuses=STARTED,
                    stop_statuses=_stops(),
                    pause_statuses=PAUSE,
                    warnings=w,
                ),
                cal,
                missing_inputs_pause=policy.pause_on_missing_inputs,
            )
        )
    if case.service == "payroll" and case.pay_date is not None:
        specs.extend(_payroll_specs(tenant, policy, case, case.pay_date, cal))
    specs.extend(_statutory_specs(case, submitted_on, w))
    return specs


def _payroll_specs(
    tenant: TenantSla,
    policy: Policy,
    case: CaseFacts,
    pay_date: dt.date,
    cal: BusinessCalendar,
) -> list[ClockSpec]:
    bank = japan_bank_calendar()
    payday = bank.on_or_before(pay_date)  # a payday on a bank holiday moves earlier
    specs: list[ClockSpec] = []
    if policy.payroll_days_before_payday is not None:
        day = cal.business_days_before(payday, policy.payroll_days_before_payday)
        specs.append(
            ClockSpec(
                "payroll_delivery",
                "contractual",
                f"給与計算結果 支給日の{policy.payroll_days_before_payday}営業日前 "
                f"(payroll results {policy.payroll_days_before_payday} business days "
                "before payday)",
                DeadlineTarget(
                    due_at=dt.datetime.combine(day, cal.work_end, cal.tz),
                    start_statuses=ANY_OPEN,
                    stop_statuses=_stops(),
                    warnings=policy.warnings,
                ),
                cal,
            )
        )
    group = None
    if tenant.payroll is not None:
        group = next((g for g in tenant.payroll.pay_groups if g.code == case.pay_group), None)
    if group is not None:
        day = bank.business_days_before(payday, group.bank_cutoff_business_days)
        specs.append(
            ClockSpec(
                "bank_transfer",
                "contractual",
                f"振込データ 銀行締切 支給日の{group.bank_cutoff_business_days}営業日前 15:00 "
                f"(bank transfer data {group.bank_cutoff_business_days} bank business days "
                "before payday, 15:00)",
                DeadlineTarget(
                    due_at=dt.datetime.combine(day, BANK_CUTOFF_TIME, bank.tz),
                    start_statuses=ANY_OPEN,
                    stop_statuses=_stops(),
                    warnings=policy.warnings,
                ),
                cal,
            )
        )
    return specs


@dataclass(frozen=True)
class StatutoryRule:
    name: str
    label: str


def _next_month_10th(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 10)


def statutory_due_dates(
    case_type: str, event: dt.date, period: str | None
) -> list[tuple[str, str, dt.date]]:
    """Statutory due dates (before moving off closed days) of the procedures a case type
    files, from the date of the fact (hire, leaving, bonus payment, dependant change).

    "Within 5 days" counts the day of the fact, which begins at 0:00 (民法 §140
    proviso): a hire on 1 April is due 5 April. 雇用保険 喪失届 counts 10 days from the
    day after the loss date (施行規則 §7), the loss date being the day after leaving."""
    d = dt.timedelta
    if case_type == "si_hire":
        return [
            (
                "statutory_shaho_acquisition",
                "健康保険・厚生年金保険 資格取得届 (5日以内)",
                event + d(4),
            ),
            (
                "statutory_koyo_acquisition",
                "雇用保険 資格取得届 (翌月10日まで)",
                _next_month_10th(event),
            ),
        ]
    if case_type == "si_leave":
        loss = event + d(1)
        return [
            ("statutory_shaho_loss", "健康保険・厚生年金保険 資格喪失届 (5日以内)", loss + d(4)),
            ("statutory_koyo_loss", "雇用保険 資格喪失届 (10日以内)", loss + d(10)),
        ]
    if case_type == "si_bonus":
        return [("statutory_bonus", "賞与支払届 (支払日から5日以内)", event + d(4))]
    if case_type == "si_dependants":
        return [("statutory_dependants", "被扶養者(異動)届 (5日以内)", event + d(4))]
    if case_type == "si_santei":
        year = int(period[:4]) if period else event.year
        return [("statutory_santei", "算定基礎届 (7月10日まで)", dt.date(year, 7, 10))]
    return []


def _statutory_specs(
    case: CaseFacts, submitted_on: dt.date | None, warnings: tuple[Decimal, ...]
) -> list[ClockSpec]:
    # The date of the fact: the case's date field when given, else its submission day
    # (the fact happened on or before it, so the deadline is never later than the law's).
    event = case.pay_date or submitted_on
    if event is None:
        return []
    gov = japan_government_calendar()
    out: list[ClockSpec] = []
    for name, label, due in statutory_due_dates(case.type, event, case.period):
        # A deadline on a closed day moves to the next open day (行政機関休日法 §2).
        day = gov.on_or_after(due)
        out.append(
            ClockSpec(
                name,
                "statutory",
                label,
                DeadlineTarget(
                    due_at=dt.datetime.combine(day, STATUTORY_DUE_TIME, gov.tz),
                    start_statuses=ANY_OPEN,
                    stop_statuses=_stops(),
                    warnings=warnings,
                ),
                gov,
            )
        )
    return out


def history_for(spec: ClockSpec, history: Sequence[StatusChange]) -> list[StatusChange]:
    """The history a clock reads. A run of stop statuses counts from its first
    (delivered then closed is met at delivery); a one-shot clock ends at its first stop;
    the synthetic `responded` entry only exists for the first-response clock."""
    stops = spec.target.stop_statuses
    out: list[StatusChange] = []
    for change in sorted(history, key=lambda c: c.at):
        if change.status == RESPONDED and RESPONDED not in stops:
            continue
        if out and out[-1].status in stops and change.status in stops:
            continue
        out.append(change)
        if spec.one_shot and change.status in stops:
            break
    return out
