"""The procedures (届出) as data: trigger, required inputs, statutory deadline, outputs.

Pure, no I/O. A life event opens a case of one type (domain §2.1) and under it one
procedure per form: a hire files the 健康保険・厚生年金保険 資格取得届 and the 雇用保険
資格取得届, each with its own deadline and submission lifecycle.

Deadlines (domain §2.1; the same rules as `daiko.sla.policy.statutory_due_dates`, which
keeps the case-level clocks): "within 5 days" counts the day of the fact (民法 §140
proviso, the fact beginning at 0:00); 雇用保険 取得届 by the 10th of the next month;
雇用保険 喪失届 10 days from the day after the loss date (loss = the day after leaving);
算定基礎届 by 10 July. A due date on a closed day of the government calendar (weekends,
public holidays, 29 Dec – 3 Jan) moves to the next open day (行政機関休日法 §2).
月額変更届 is due "promptly"; we track it as 5 days counting the day its result was
approved. After a 返戻 the corrected filing is due within the same span, counted from
the day the reply came back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from daiko.sla.calendar import japan_government_calendar

Event = Literal["hire", "leave", "dependants_change", "bonus", "annual", "monthly_change"]
LIFE_EVENTS: tuple[Event, ...] = ("hire", "leave", "dependants_change", "bonus")
Output = Literal["form_pdf", "data_csv", "rishoku_pdf"]


@dataclass(frozen=True)
class ProcedureSpec:
    kind: str
    title: str  # the form's official name
    label: str  # English, for the console
    office: str  # where it is filed
    event: Event
    case_type: str
    deadline: str  # the rule, as shown
    inputs: tuple[str, ...]  # what must be known before the form can be made
    outputs: tuple[Output, ...]
    # The 日本年金機構 CSV 様式コード when the layout is public (届書作成仕様書).
    data_record: str | None
    needs_my_number: bool = True

    @property
    def egov_proc_id(self) -> str:
        """The e-Gov 手続識別子 (16 characters) is issued with the software registration;
        until then the recording double receives this stand-in."""
        return f"unregistered:{self.kind}"


D = dt.timedelta

SPECS: dict[str, ProcedureSpec] = {
    s.kind: s
    for s in (
        ProcedureSpec(
            "shaho_acquisition",
            "健康保険・厚生年金保険 被保険者資格取得届",
            "Health/pension insurance acquisition",
            "年金事務所",
            "hire",
            "si_hire",
            "5日以内 (5 days counting the hire date)",
            ("hire_date", "monthly_remuneration", "insured_number"),
            ("form_pdf",),
            None,
        ),
        ProcedureSpec(
            "koyo_acquisition",
            "雇用保険 被保険者資格取得届",
            "Employment insurance acquisition",
            "ハローワーク",
            "hire",
            "si_hire",
            "翌月10日まで (10th of the next month)",
            ("hire_date", "weekly_hours", "monthly_remuneration"),
            ("form_pdf",),
            None,
        ),
        ProcedureSpec(
            "shaho_loss",
            "健康保険・厚生年金保険 被保険者資格喪失届",
            "Health/pension insurance loss",
            "年金事務所",
            "leave",
            "si_leave",
            "5日以内 (5 days counting the loss date)",
            ("leave_date", "insured_number"),
            ("form_pdf",),
            None,
        ),
        ProcedureSpec(
            "koyo_loss",
            "雇用保険 被保険者資格喪失届 (離職証明書)",
            "Employment insurance loss (+ separation certificate)",
            "ハローワーク",
            "leave",
            "si_leave",
            "10日以内 (10 days from the day after the loss date)",
            ("leave_date", "leave_reason"),
            ("form_pdf", "rishoku_pdf"),
            None,
        ),
        ProcedureSpec(
            "dependants",
            "健康保険 被扶養者(異動)届",
            "Dependants change",
            "年金事務所",
            "dependants_change",
            "si_dependants",
            "5日以内 (5 days counting the change date)",
            ("dependents",),
            ("form_pdf",),
            None,
        ),
        ProcedureSpec(
            "bonus",
            "健康保険・厚生年金保険 被保険者賞与支払届",
            "Bonus payment report",
            "年金事務所",
            "bonus",
            "si_bonus",
            "5日以内 (5 days counting the payment date)",
            ("bonus_payments",),
            ("form_pdf", "data_csv"),
            "2265700",
        ),
        ProcedureSpec(
            "santei",
            "健康保険・厚生年金保険 被保険者報酬月額算定基礎届",
            "Annual remuneration report (算定基礎)",
            "年金事務所",
            "annual",
            "si_santei",
            "7月10日まで (by 10 July)",
            ("review_items",),
            ("form_pdf", "data_csv"),
            "2225700",
        ),
        ProcedureSpec(
            "monthly_change",
            "健康保険・厚生年金保険 被保険者報酬月額変更届",
            "Monthly remuneration change (月額変更)",
            "年金事務所",
            "monthly_change",
            "si_monthly_change",
            "速やかに (tracked: 5 days counting the approval day)",
            ("review_items",),
            ("form_pdf", "data_csv"),
            "2221700",
        ),
    )
}

# The procedures each life event opens, in filing order.
BY_EVENT: dict[str, tuple[str, ...]] = {
    "hire": ("shaho_acquisition", "koyo_acquisition"),
    "leave": ("shaho_loss", "koyo_loss"),
    "dependants_change": ("dependants",),
    "bonus": ("bonus",),
    "annual": ("santei",),
    "monthly_change": ("monthly_change",),
}
CASE_TYPE_OF_EVENT: dict[str, str] = {
    "hire": "si_hire",
    "leave": "si_leave",
    "dependants_change": "si_dependants",
    "bonus": "si_bonus",
    "annual": "si_santei",
    "monthly_change": "si_monthly_change",
}


def _next_month_10th(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 10)


def statutory_date(kind: str, event_date: dt.date) -> dt.date:
    """The law's due date of a procedure, before moving off closed days. `event_date` is
    the date of the fact: hire date, leaving date (last day of work), bonus payment
    date, dependant change date, the 算定 year's 1 July, the 月変 approval day."""
    if kind in ("shaho_acquisition", "dependants", "bonus", "monthly_change"):
        return event_date + D(4)
    if kind == "koyo_acquisition":
        return _next_month_10th(event_date)
    if kind == "shaho_loss":
        return event_date + D(1) + D(4)
    if kind == "koyo_loss":
        return event_date + D(1) + D(10)
    if kind == "santei":
        return dt.date(event_date.year, 7, 10)
    raise ValueError(f"unknown procedure kind {kind!r}")


def due_date(kind: str, event_date: dt.date) -> dt.date:
    """The statutory due date moved off closed days of the government calendar."""
    return japan_government_calendar().on_or_after(statutory_date(kind, event_date))


def resubmission_due(kind: str, returned_on: dt.date) -> dt.date:
    """After a 返戻: the same span again, counted from the day the reply came back."""
    if kind == "koyo_loss":
        span = D(10)
    elif kind in ("koyo_acquisition", "santei"):
        span = D(9)  # no statutory span of its own: ten days counting the return day
    else:
        span = D(4)
    return japan_government_calendar().on_or_after(returned_on + span)


def loss_date(leave_date: dt.date) -> dt.date:
    """資格喪失日: the day after the last day of employment (domain §1.6)."""
    return leave_date + D(1)
