"""The filing job's work: render a procedure's forms, store them on the case, submit.

Runs only inside the `social_insurance_file` job. It is the one place that decrypts My
Numbers for social-insurance forms: each decrypt goes through
`daiko.security.fields.reveal_field`, which writes an audit event
(`employee.my_number_revealed` / `si_dependent.my_number_revealed`) with the purpose
`social_insurance_filing:<procedure kind>` in the same transaction. The clear numbers
live only in local variables of this job and in the bytes it stores and submits.

The job runs in one transaction: a failure (e-Gov down, a character cp932 cannot hold)
rolls back every row; the retried job submits under the same reference (procedure id
and version), so e-Gov sees one application.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import SensitiveKind, SystemActor
from daiko.cases.models import CaseDeliverable
from daiko.documents.models import Document, DocumentVersion
from daiko.documents.retention import earliest_deletion_date
from daiko.documents.service import version_key
from daiko.employees.models import MY_NUMBER_PURPOSE, Employee
from daiko.ids import new_id
from daiko.security.fields import reveal_field
from daiko.social_insurance import catalogue, datafile, egov, forms, service
from daiko.social_insurance import repository as repo
from daiko.social_insurance.models import (
    DEPENDENT_MY_NUMBER_PURPOSE,
    SiDependent,
    SiEnrolment,
    SiOffice,
    SiProcedure,
    SiProcedureDocument,
    SiReviewItem,
)

ACTOR = SystemActor("jobs.social_insurance_file")
RELATION_JA = {
    "spouse": "配偶者",
    "child": "子",
    "parent": "父母",
    "grandchild": "孫",
    "sibling": "兄弟姉妹",
    "other": "その他",
}
GENDER_JA = {"male": "男", "female": "女", "other": "—", None: ""}


def purpose_of(kind: str) -> str:
    return f"social_insurance_filing:{kind}"


@dataclass
class Output:
    kind: str  # form_pdf | data_csv | rishoku_pdf
    filename: str
    content_type: str
    data: bytes
    title: str


def office_of(row: SiOffice) -> datafile.Office:
    return datafile.Office(
        prefecture_code=row.prefecture_code,
        area_code=row.area_code,
        office_code=row.office_code,
        office_number=row.office_number,
        zip_code=row.zip_code,
        address=row.address,
        name=row.name,
        owner_name=row.owner_name,
        phone=row.phone,
    )


def office_cells(row: SiOffice) -> list[tuple[str, str]]:
    return [
        ("事業所整理記号", f"{row.prefecture_code}-{row.area_code}-{row.office_code}"),
        ("事業所番号", row.office_number),
        ("郵便番号", f"{row.zip_code[:3]}-{row.zip_code[3:]}"),
        ("所在地", row.address),
        ("名称", row.name),
        ("事業主氏名", row.owner_name),
        ("電話番号", row.phone),
        ("雇用保険適用事業所番号", row.koyo_office_number or ""),
    ]


def _ymd(day: dt.date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else ""


def _yen(amount: int | None) -> str:
    return f"{amount:,}円" if amount is not None else ""


def _person(
    employee: Employee, enrolment: SiEnrolment | None, my_number: str | None
) -> datafile.Person:
    pension = enrolment.basic_pension_number if enrolment else None
    return datafile.Person(
        insured_number=enrolment.insured_number if enrolment else "",
        name_kana=datafile.half_width_kana(
            f"{employee.family_name_kana} {employee.given_name_kana}"
        ),
        name=f"{employee.family_name}\u3000{employee.given_name}",
        birth_date=employee.birth_date,
        my_number=my_number,
        basic_pension_area=pension[:4] if pension else None,
        basic_pension_serial=pension[4:] if pension else None,
    )


class Filing:
    """One run of the filing job over one procedure."""

    def __init__(self, session: AsyncSession, procedure: SiProcedure) -> None:
        self.session = session
        self.procedure = procedure
        self.spec = catalogue.SPECS[procedure.kind]
        self.revealed = 0

    async def my_number(self, employee: Employee) -> str | None:
        from daiko.employees import repository as employees_repo

        vault = await employees_repo.my_number(self.session, employee)
        if vault is None:
            return None
        self.revealed += 1
        return await reveal_field(
            self.session,
            tenant_id=employee.tenant_id,
            token=vault.token,
            purpose=MY_NUMBER_PURPOSE,
            kind=SensitiveKind.MY_NUMBER,
            actor=ACTOR,
            resource_type="employee",
            resource_id=employee.id,
            business_purpose=purpose_of(self.procedure.kind),
            details={"procedure_id": str(self.procedure.id), "code": employee.code},
        )

    async def dependent_number(self, dependent: SiDependent) -> str | None:
        if dependent.my_number_token is None:
            return None
        self.revealed += 1
        return await reveal_field(
            self.session,
            tenant_id=dependent.tenant_id,
            token=dependent.my_number_token,
            purpose=DEPENDENT_MY_NUMBER_PURPOSE,
            kind=SensitiveKind.MY_NUMBER,
            actor=ACTOR,
            resource_type="si_dependent",
            resource_id=dependent.id,
            business_purpose=purpose_of(self.procedure.kind),
            details={"procedure_id": str(self.procedure.id)},
        )

    async def _employee(self, employee_id: uuid.UUID) -> Employee:
        from daiko.employees import repository as employees_repo

        employee = await employees_repo.get_employee(
            self.session, self.procedure.tenant_id, employee_id
        )
        if employee is None:
            raise LookupError(f"employee {employee_id} is gone")
        return employee

    async def _enrolment(self, employee_id: uuid.UUID) -> SiEnrolment | None:
        found = await repo.enrolments(self.session, self.procedure.tenant_id, [employee_id])
        return found.get(employee_id)

    async def _items(self) -> list[SiReviewItem]:
        return await service._approved_items(self.session, self.procedure)

    def _employee_cells(
        self, employee: Employee, enrolment: SiEnrolment | None, my_number: str | None
    ) -> list[tuple[str, str]]:
        return [
            ("被保険者整理番号", enrolment.insured_number if enrolment else ""),
            ("氏名", employee.full_name),
            ("フリガナ", employee.full_name_kana),
            ("生年月日", _ymd(employee.birth_date)),
            ("性別", GENDER_JA.get(employee.gender, "")),
            ("個人番号", my_number or ""),
            ("基礎年金番号", (enrolment.basic_pension_number or "") if enrolment else ""),
            ("社員番号", employee.code),
        ]

    async def outputs(self, office: SiOffice, created_on: dt.date) -> list[Output]:
        p = self.procedure
        kind = p.kind
        blocks: list[forms.Block] = []
        records: list[datafile.Record] = []
        notes: list[str] = []
        extra: list[Output] = []
        ofc = office_of(office)
        if kind in ("santei", "monthly_change"):
            for n, item in enumerate(await self._items(), 1):
                employee = await self._employee(item.employee_id)
                enrolment = await self._enrolment(employee.id)
                number = await self.my_number(employee)
                cells = self._employee_cells(employee, enrolment, number)
                cells += [
                    (
                        "従前 健保/厚年",
                        f"{_yen(item.current_health)} / {_yen(item.current_pension)}",
                    ),
                    ("決定 健保/厚年", f"{_yen(item.new_health)} / {_yen(item.new_pension)}"),
                    ("平均額", _yen(item.average)),
                    ("適用年月", f"{item.effective_month:%Y-%m}" if item.effective_month else ""),
                ]
                for m in item.months:
                    cells.append(
                        (
                            f"{m['month']} 日数/報酬",
                            f"{m['base_days']}日 {m['remuneration']:,}円"
                            + (f" (除外: {m['excluded']})" if m.get("excluded") else ""),
                        )
                    )
                blocks.append(forms.Block(f"被保険者 {n}", cells))
                records.append(await self._record(kind, item, employee, enrolment, number))
        else:
            assert p.employee_id is not None
            employee = await self._employee(p.employee_id)
            enrolment = await self._enrolment(employee.id)
            number = await self.my_number(employee) if self.spec.needs_my_number else None
            cells = self._employee_cells(employee, enrolment, number)
            inputs: dict[str, Any] = p.inputs or {}
            if kind in ("shaho_acquisition", "koyo_acquisition"):
                cells += [
                    ("資格取得年月日", _ymd(p.event_date)),
                    ("報酬月額", _yen(int(inputs.get("monthly_remuneration") or 0))),
                    ("雇用形態", employee.employment_type),
                ]
                if kind == "koyo_acquisition":
                    cells.append(("1週間の所定労働時間", str(inputs.get("weekly_hours") or "")))
            elif kind in ("shaho_loss", "koyo_loss"):
                cells += [
                    ("退職日", _ymd(p.event_date)),
                    ("資格喪失年月日", _ymd(catalogue.loss_date(p.event_date))),
                    ("喪失原因", f"退職 {inputs.get('leave_reason') or ''}".strip()),
                ]
            elif kind == "bonus":
                amount = int(inputs.get("amount") or 0)
                record = datafile.BonusRecord(
                    _person(employee, enrolment, number), p.event_date, amount
                )
                cells += [
                    ("賞与支払年月日", _ymd(p.event_date)),
                    ("賞与額 (通貨)", _yen(amount)),
                    ("標準賞与額", _yen(record.standard_bonus())),
                ]
                records.append(record)
            blocks.append(forms.Block("被保険者", cells))
            if kind == "dependants":
                for n, dep in enumerate(
                    await repo.dependents(self.session, p.tenant_id, employee.id), 1
                ):
                    dep_number = await self.dependent_number(dep)
                    blocks.append(
                        forms.Block(
                            f"被扶養者 {n}",
                            [
                                ("氏名", dep.full_name),
                                ("フリガナ", f"{dep.family_name_kana} {dep.given_name_kana}"),
                                ("生年月日", _ymd(dep.birth_date)),
                                ("続柄", RELATION_JA[dep.relationship]),
                                ("個人番号", dep_number or ""),
                                ("年間収入", _yen(dep.annual_income)),
                                ("被扶養者になった日", _ymd(dep.started_on)),
                                ("被扶養者でなくなった日", _ymd(dep.ended_on)),
                                ("異動年月日", _ymd(p.event_date)),
                            ],
                        )
                    )
            if kind == "koyo_loss" and inputs.get("rishoku"):
                extra.append(await self._rishoku(office, employee, number))
        if kind in ("shaho_acquisition", "shaho_loss", "dependants"):
            notes.append(
                "電子媒体届書 (CSV) の様式は日本年金機構の届書作成仕様書待ち: この届は PDF のみ。"
            )
        title = self.spec.title
        pdf = forms.render_form(
            forms.FormData(title, self.spec.office, office_cells(office), blocks, notes)
        )
        out = [Output("form_pdf", f"{kind}-{created_on:%Y%m%d}.pdf", "application/pdf", pdf, title)]
        out += extra
        if records and "data_csv" in self.spec.outputs:
            data = datafile.render(ofc, records, seq=1, created_on=created_on)
            out.append(Output("data_csv", datafile.FILE_NAME, "text/csv", data, f"{title} (CSV)"))
        return out

    async def _record(
        self,
        kind: str,
        item: SiReviewItem,
        employee: Employee,
        enrolment: SiEnrolment | None,
        number: str | None,
    ) -> datafile.Record:
        from daiko.employees import repository as employees_repo

        assert item.effective_month is not None
        history = await employees_repo.grades(self.session, employee)
        previous = [g for g in history if g.effective_month < item.effective_month]
        old_on = max((g.effective_month for g in previous), default=employee.hire_date)
        months = {m["month"]: m for m in item.months}
        person = _person(employee, enrolment, number)

        def income(month: dt.date) -> datafile.MonthIncome:
            m = months.get(f"{month:%Y-%m}") or {"base_days": 0, "remuneration": 0}
            return datafile.MonthIncome(int(m["base_days"]), int(m["remuneration"]))

        if kind == "santei":
            year = item.effective_month.year
            record = datafile.SanteiRecord(
                person=person,
                applied_on=item.effective_month,
                old_health=item.current_health,
                old_pension=item.current_pension,
                old_applied_on=old_on,
                april=income(dt.date(year, 4, 1)),
                may=income(dt.date(year, 5, 1)),
                june=income(dt.date(year, 6, 1)),
                kind="part_time" if employee.employment_type == "part_time" else "ordinary",
                mid_month_hire=any(m.get("excluded") == "mid-month hire" for m in item.months),
            )
            # The file's 総計/平均 follow the payment-base-day rule; a month excluded for
            # another reason (mid-month hire) goes in as the 修正平均額.
            if item.average is not None and item.average != record.average():
                record = dataclasses.replace(record, adjusted_average=item.average)
            return record
        first = _add_months(item.effective_month, -3)
        up = (item.new_health or 0) >= (item.current_health or 0)
        return datafile.MonthlyChangeRecord(
            person=person,
            applied_on=item.effective_month,
            old_health=item.current_health,
            old_pension=item.current_pension,
            old_applied_on=old_on,
            months=(income(first), income(_add_months(first, 1)), income(_add_months(first, 2))),
            raised_on=first,
            raise_kind="1" if up else "2",
            reason="固定的賃金の変動",
        )

    async def _rishoku(self, office: SiOffice, employee: Employee, number: str | None) -> Output:
        p = self.procedure
        paid = await repo.paid_months(
            self.session, p.tenant_id, _add_months(p.event_date.replace(day=1), -12), p.event_date
        )
        rows = sorted((m for m in paid if m.employee_id == employee.id), key=lambda m: m.paid_month)
        cells = [
            ("氏名", employee.full_name),
            ("個人番号", number or ""),
            ("離職年月日", _ymd(p.event_date)),
            ("離職理由", str((p.inputs or {}).get("leave_reason") or "")),
        ]
        cells += [(f"{m.paid_month:%Y-%m} 賃金", f"{m.gross:,}円") for m in rows[-12:]]
        title = "雇用保険被保険者離職証明書"
        pdf = forms.render_form(
            forms.FormData(
                title,
                "ハローワーク",
                office_cells(office),
                [forms.Block("離職者", cells)],
                ["離職票の交付を希望する場合 (59歳以上は必須) に喪失届へ添付。"],
            )
        )
        return Output(
            "rishoku_pdf", f"rishoku-{p.event_date:%Y%m%d}.pdf", "application/pdf", pdf, title
        )


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


async def store_output(
    session: AsyncSession, procedure: SiProcedure, output: Output, day: dt.date
) -> SiProcedureDocument:
    """A generated output as a verified document, linked to the procedure and its case."""
    from daiko.documents.tasks import current_store

    document_id = new_id()
    key = version_key(procedure.tenant_id, document_id, 1)
    await current_store().put(key, output.data, output.content_type)
    digest = hashlib.sha256(output.data).hexdigest()
    now = datetime.now(UTC)
    session.add(
        Document(
            tenant_id=procedure.tenant_id,
            id=document_id,
            title=output.title[:200],
            classification="filing",
            transaction_date=day,
            retention_class="payroll_record",
            retention_base_date=day,
            retain_until=earliest_deletion_date("payroll_record", day),
            legal_hold=False,
        )
    )
    await session.flush()
    session.add(
        DocumentVersion(
            tenant_id=procedure.tenant_id,
            id=new_id(),
            document_id=document_id,
            n=1,
            storage_key=key,
            declared_size=len(output.data),
            declared_sha256=digest,
            filename=output.filename,
            declared_content_type=output.content_type,
            sniffed_type=output.content_type,
            status="verified",
            upload_expires_at=now,
            uploaded_at=now,
            verified_at=now,
        )
    )
    link = SiProcedureDocument(
        tenant_id=procedure.tenant_id,
        id=new_id(),
        procedure_id=procedure.id,
        kind=output.kind,
        document_id=document_id,
        filename=output.filename,
        sha256=digest,
    )
    session.add(link)
    await session.flush()
    await session.execute(
        insert(CaseDeliverable)
        .values(
            tenant_id=procedure.tenant_id,
            id=new_id(),
            case_id=procedure.case_id,
            document_id=document_id,
            title=output.title[:200],
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "case_id", "document_id"])
    )
    return link


async def file_procedure(
    session: AsyncSession, procedure: SiProcedure, *, submit: bool
) -> dict[str, Any]:
    """Render, store and (with `submit`) send one procedure. Returns a summary."""
    office = await repo.office(session, procedure.tenant_id)
    if office is None:
        raise LookupError("no 事業所 recorded for this tenant")
    reference = f"{procedure.id}:v{procedure.version}"
    today = service.today_jst()
    filing = Filing(session, procedure)
    outputs = await filing.outputs(office, today)
    links = [await store_output(session, procedure, o, today) for o in outputs]
    if procedure.status in ("draft", "returned"):
        await service.move(session, ACTOR, procedure, "ready", note="forms generated")
    summary: dict[str, Any] = {
        "documents": [str(link.document_id) for link in links],
        "my_numbers_revealed": filing.revealed,
    }
    if submit:
        client = egov.current_egov()
        arrival = await client.submit(
            egov.Application(
                proc_id=filing.spec.egov_proc_id,
                reference=reference,
                form_data={
                    "procedure_id": str(procedure.id),
                    "kind": procedure.kind,
                    "office": f"{office.prefecture_code}-{office.area_code}-{office.office_code}",
                },
                attachments=tuple(
                    egov.Attachment(o.filename, o.content_type, o.data) for o in outputs
                ),
            )
        )
        await service.move(
            session, ACTOR, procedure, "submitted", note="e-Gov", arrival_id=arrival.arrival_id
        )
        summary["arrival_id"] = arrival.arrival_id
    return summary


async def apply_status(session: AsyncSession, procedure: SiProcedure) -> str:
    """Ask e-Gov where a submitted procedure stands and record any change (with the
    official documents it sent back). Returns the status after."""
    if procedure.arrival_id is None or procedure.status not in (
        "submitted",
        "arrived",
        "under_review",
    ):
        return procedure.status
    report = await egov.current_egov().status(procedure.arrival_id)
    if report.status == procedure.status:
        return procedure.status
    reply_id: uuid.UUID | None = None
    today = service.today_jst()
    for doc in report.documents:
        link = await store_output(
            session,
            procedure,
            Output("reply", doc.name, doc.content_type, doc.data, f"公文書 {doc.name}"),
            today,
        )
        reply_id = link.document_id
    if report.status == "returned" and reply_id is None:
        raise LookupError("a 返戻 without its official reply")
    await service.move(
        session, ACTOR, procedure, report.status, note=report.note or None, document_id=reply_id
    )
    return procedure.status


async def poll_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Ask e-Gov about every procedure of the tenant still awaiting the office; each in
    a savepoint, so one failing answer does not hold up the others. Returns how many
    changed status."""
    import structlog

    changed = 0
    for procedure in await repo.awaiting_answer(session, tenant_id):
        before = procedure.status
        try:
            async with session.begin_nested():
                after = await apply_status(session, procedure)
        except (egov.EGovError, LookupError) as exc:
            structlog.get_logger("daiko.social_insurance").warning(
                "e-Gov status not applied", procedure_id=str(procedure.id), error=str(exc)
            )
            continue
        changed += after != before
    return changed


async def poll_egov(runtime: Any, tenant_id: uuid.UUID, tick: datetime) -> None:
    """The scheduler's per-tenant sweep (`social_insurance.poll_egov`)."""
    from daiko.tenancy.scope import scope_of_tenant

    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        await poll_tenant(session, tenant_id)
