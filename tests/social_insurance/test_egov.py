"""The e-Gov interface contract. `check_contract` holds the assertions every client
must pass; the recording double runs them here, and a live client (once registered
credentials exist) runs the same function against the e-Gov 検証環境."""

from __future__ import annotations

import pytest

from daiko.config import ConfigError, get_settings
from daiko.social_insurance import egov


async def check_contract(client: egov.EGovClient, advance: object | None = None) -> None:
    app = egov.Application(
        proc_id="unregistered:bonus",
        reference="proc-1:v1",
        form_data={"kind": "bonus"},
        attachments=(egov.Attachment("SHFD0006.CSV", "text/csv", b"22223"),),
    )
    arrival = await client.submit(app)
    assert arrival.arrival_id
    # The same reference is the same application (a retried job files once).
    assert (await client.submit(app)).arrival_id == arrival.arrival_id
    other = await client.submit(
        egov.Application("unregistered:bonus", "proc-1:v2", {"kind": "bonus"})
    )
    assert other.arrival_id != arrival.arrival_id
    report = await client.status(arrival.arrival_id)
    assert report.arrival_id == arrival.arrival_id
    assert report.status in egov.EGOV_STATUSES
    with pytest.raises(egov.EGovError):
        await client.status("no-such-arrival")
    with pytest.raises(egov.EGovError):
        await client.submit(egov.Application("", "proc-2:v1", {}))


async def test_the_recording_double_keeps_the_contract() -> None:
    double = egov.RecordingEGov()
    await check_contract(double)
    assert [a.reference for a in double.submissions] == ["proc-1:v1", "proc-1:v2"]


async def test_the_double_reports_what_it_was_told() -> None:
    double = egov.RecordingEGov()
    arrival = await double.submit(egov.Application("p", "r", {}))
    assert (await double.status(arrival.arrival_id)).status == "arrived"
    reply = egov.OfficialDocument("henrei.pdf", "application/pdf", b"%PDF")
    double.advance(arrival.arrival_id, "returned", "記載誤り", (reply,))
    report = await double.status(arrival.arrival_id)
    assert (report.status, report.note, report.documents) == ("returned", "記載誤り", (reply,))
    assert double.application(arrival.arrival_id).reference == "r"


def test_the_client_is_chosen_by_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAIKO_EGOV", raising=False)
    assert isinstance(egov.current_egov(), egov.RecordingEGov)
    monkeypatch.setenv("DAIKO_EGOV", "live")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="DAIKO_EGOV"):
            egov.current_egov()
    finally:
        monkeypatch.delenv("DAIKO_EGOV")
        get_settings.cache_clear()
