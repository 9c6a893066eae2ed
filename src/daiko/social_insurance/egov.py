"""The e-Gov 電子申請 API behind an interface, and the recording double that stands in.

Shaped like the public e-Gov API (domain §2.2): 申請 (submit an application for a
16-character 手続識別子 `proc_id` with its 申請書 data and attachments, such as the
日本年金機構 CSV 届書) answers an 到達番号; 到達/審査状況照会 answers 到達 (arrived),
審査中 (under review), 手続終了 (completed) or 返戻 (returned), with the 公文書 (official
documents, e.g. 標準報酬決定通知書 or the 返戻 reason) attached.

Real submission needs a registered software ID and OAuth credentials (GビズID or a
certificate): no live client exists yet. `current_egov()` returns the client selected
by the `DAIKO_EGOV` setting; `recording` (the default, used by tests and `make dev`) is
`RecordingEGov`, which keeps every application in memory and lets a test or the console
move an arrival through its states. Any other value fails loudly rather than pretend.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from daiko.config import get_settings

EGovStatus = Literal["arrived", "under_review", "completed", "returned"]
EGOV_STATUSES: tuple[EGovStatus, ...] = ("arrived", "under_review", "completed", "returned")


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Application:
    proc_id: str  # 手続識別子
    reference: str  # our idempotency key: the same reference is one application
    form_data: dict[str, str]  # 申請書 fields
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Arrival:
    arrival_id: str  # 到達番号
    arrived_at: datetime


@dataclass(frozen=True)
class OfficialDocument:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class StatusReport:
    arrival_id: str
    status: EGovStatus
    note: str = ""
    documents: tuple[OfficialDocument, ...] = ()


class EGovError(Exception):
    """The e-Gov side refused or failed (retried by the filing job)."""


class EGovClient(Protocol):
    async def submit(self, application: Application) -> Arrival: ...

    async def status(self, arrival_id: str) -> StatusReport: ...


@dataclass
class RecordingEGov:
    """An in-memory e-Gov: records applications, answers arrival ids derived from the
    reference (so a retried submission is the same application), and reports whatever
    status `advance` last set (`arrived` at first)."""

    submissions: list[Application] = field(default_factory=list)
    reports: dict[str, StatusReport] = field(default_factory=dict)
    by_reference: dict[str, Arrival] = field(default_factory=dict)

    async def submit(self, application: Application) -> Arrival:
        if not application.proc_id:
            raise EGovError("proc_id is required")
        known = self.by_reference.get(application.reference)
        if known is not None:
            return known
        digest = hashlib.sha256(application.reference.encode()).hexdigest()[:16]
        arrival = Arrival(arrival_id=f"REC-{digest}", arrived_at=datetime.now(UTC))
        self.submissions.append(application)
        self.by_reference[application.reference] = arrival
        self.reports[arrival.arrival_id] = StatusReport(arrival.arrival_id, "arrived")
        return arrival

    async def status(self, arrival_id: str) -> StatusReport:
        report = self.reports.get(arrival_id)
        if report is None:
            raise EGovError(f"no application {arrival_id}")
        return report

    def advance(
        self,
        arrival_id: str,
        status: EGovStatus,
        note: str = "",
        documents: tuple[OfficialDocument, ...] = (),
    ) -> None:
        if arrival_id not in self.reports:
            raise EGovError(f"no application {arrival_id}")
        self.reports[arrival_id] = StatusReport(arrival_id, status, note, documents)

    def application(self, arrival_id: str) -> Application:
        for reference, arrival in self.by_reference.items():
            if arrival.arrival_id == arrival_id:
                return next(a for a in self.submissions if a.reference == reference)
        raise EGovError(f"no application {arrival_id}")


_override: EGovClient | None = None
_recording = RecordingEGov()


def use_egov(client: EGovClient | None) -> None:
    """Replace the client (tests); None restores the setting's choice."""
    global _override
    _override = client


def current_egov() -> EGovClient:
    if _override is not None:
        return _override
    backend = get_settings().egov  # a value other than "recording" stops at start-up
    if backend == "recording":
        return _recording
    raise RuntimeError(f"DAIKO_EGOV={backend!r}: no such e-Gov client")  # pragma: no cover
