"""Tenant files: the schema, every error with its file, line and field, and round trips."""

from __future__ import annotations

import datetime as dt
import textwrap
import typing
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from daiko.tenancy import spec as spec_module
from daiko.tenancy.corporate_number import is_valid_corporate_number
from daiko.tenancy.spec import (
    CalendarSpec,
    Closure,
    HealthInsurerSpec,
    KumiaiRate,
    MonthDay,
    OidcSpec,
    OperatorSpec,
    PayGroup,
    PayrollSpec,
    ServiceSla,
    SlaTarget,
    SpecError,
    TenantSpec,
    TenantSpecErrors,
    UserSpec,
    WorkingHours,
    dump_tenant_spec,
    load_tenant_dir,
    load_tenant_files,
)

TENANTS_DIR = Path(__file__).resolve().parents[2] / "tenants"

# Six lines: whatever a test appends starts at line 7.
MINIMAL = """\
slug: acme
name: 株式会社アクメ
name_kana: アクメ
corporate_number: "7000012050002"
prefecture: "13"
services: [payroll]
"""

ROOT_KEYS = (
    "slug, name, name_kana, corporate_number, prefecture, services, locale, time_zone, "
    "status, require_mfa, oidc, sla, calendar, payroll, users, operators"
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def acme(tmp_path: Path, extra: str = "", base: str = MINIMAL) -> Path:
    return write(tmp_path, "acme.yaml", base + textwrap.dedent(extra))


def load_one(path: Path) -> TenantSpec:
    (spec,) = load_tenant_files([path])
    return spec


def errors(*paths: Path | str) -> list[str]:
    with pytest.raises(TenantSpecErrors) as info:
        load_tenant_files(paths)
    assert str(info.value) == "\n".join(str(error) for error in info.value.errors)
    return [str(error) for error in info.value.errors]


def acme_errors(tmp_path: Path, extra: str, base: str = MINIMAL) -> list[str]:
    """The errors of acme.yaml (base + extra), each without the file name prefix."""
    path = acme(tmp_path, extra, base)
    return [line.removeprefix(f"{path}:") for line in errors(path)]


# --------------------------------------------------------------------------- valid files


def test_minimal_file_gets_the_defaults(tmp_path: Path) -> None:
    spec = load_one(acme(tmp_path))
    assert spec == TenantSpec(
        slug="acme",
        name="株式会社アクメ",
        name_kana="アクメ",
        corporate_number="7000012050002",
        prefecture="13",
        services=("payroll",),
    )
    assert spec.locale == "ja"
    assert spec.time_zone == "Asia/Tokyo"
    assert spec.status == "active"
    assert spec.require_mfa is False
    assert spec.oidc is None
    assert spec.sla == ()
    assert spec.calendar == CalendarSpec(
        working_hours=WorkingHours(start=dt.time(9), end=dt.time(18)),
        closures=(),
        extra_days_off=(),
    )
    assert spec.payroll is None
    assert spec.users == ()
    assert spec.operators == ()


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ('"13"', "13"),
        ("13", "13"),
        ("東京都", "13"),
        ("東京", "13"),
        ("Tokyo", "13"),
        ("tokyo-to", "13"),
        ("Osaka-fu", "27"),
        ("大阪府", "27"),
        ("01", "01"),
        ("8", "08"),
        ("Hokkaido", "01"),
    ],
)
def test_prefecture_is_stored_as_its_code(tmp_path: Path, written: str, code: str) -> None:
    path = acme(tmp_path, base=MINIMAL.replace('prefecture: "13"', f"prefecture: {written}"))
    assert load_one(path).prefecture == code


def test_corporate_number_may_be_written_unquoted(tmp_path: Path) -> None:
    path = acme(tmp_path, base=MINIMAL.replace('"7000012050002"', "7000012050002"))
    assert load_one(path).corporate_number == "7000012050002"


def test_a_full_file(tmp_path: Path) -> None:
    spec = load_one(
        acme(
            tmp_path,
            """\
            locale: en
            time_zone: Europe/London
            status: suspended
            require_mfa: yes
            oidc:
              issuer: https://idp.acme.example/
              discovery_url: https://idp.acme.example/custom/openid-configuration
              client_id: "12345"
              client_secret_env: ACME_OIDC_SECRET
              required: true
            sla:
              payroll:
                payroll_days_before_payday: 5
                low: {resolution_business_days: 10}
                urgent: &fast {first_response_hours: 1, resolution_business_days: 1}
              social_insurance:
                high: *fast
            calendar:
              working_hours: 08:00-17:00
              closures:
                - {label: 年末年始, start: 12-28, end: 01-05}
                - {label: 社員旅行, start: 2026-10-01, end: 2026-10-02}
              extra_days_off: [2026-11-20, "2026-11-27"]
            payroll:
              employment_insurance_industry: construction
              pay_groups:
                - code: daily_workers
                  name: 日給者
                  closing_day: 15
                  pay_day: end
                  pay_month_offset: 1
                  bank_cutoff_business_days: 2
              health_insurer:
                kind: kumiai
                name: アクメ健康保険組合
                rates:
                  - valid_from: 2025-03-01
                    health_percent: "9.5"
                    care_percent: 1.8
                  - valid_from: 2026-03-01
                    health_percent: 10
                    care_percent: 1.75
                    employee_health_percent: 4.25
            users:
              - email: Boss@Acme.example
                display_name: Boss
                role: client_admin
            operators:
              - email: ops@daiko.example
            """,
            base=MINIMAL.replace("[payroll]", "[payroll, social_insurance]"),
        )
    )
    assert spec.locale == "en"
    assert spec.time_zone == "Europe/London"
    assert spec.status == "suspended"
    assert spec.require_mfa is True
    assert spec.oidc == OidcSpec(
        issuer="https://idp.acme.example/",
        discovery_url="https://idp.acme.example/custom/openid-configuration",
        client_id="12345",
        client_secret_env="ACME_OIDC_SECRET",
        required=True,
    )
    fast = SlaTarget(priority="urgent", first_response_hours=1, resolution_business_days=1)
    assert spec.sla == (
        ServiceSla(
            service="payroll",
            payroll_days_before_payday=5,
            targets=(fast, SlaTarget(priority="low", resolution_business_days=10)),
        ),
        ServiceSla(
            service="social_insurance",
            targets=(
                SlaTarget(priority="high", first_response_hours=1, resolution_business_days=1),
            ),
        ),
    )
    assert spec.sla_for("payroll") is spec.sla[0]
    assert spec.sla_for("bookkeeping") is None
    assert spec.sla[0].target("urgent") == fast
    assert spec.sla[0].target("normal") is None
    assert spec.calendar == CalendarSpec(
        working_hours=WorkingHours(start=dt.time(8), end=dt.time(17)),
        closures=(
            Closure(
                label="年末年始", start=MonthDay(month=12, day=28), end=MonthDay(month=1, day=5)
            ),
            Closure(label="社員旅行", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 2)),
        ),
        extra_days_off=(dt.date(2026, 11, 20), dt.date(2026, 11, 27)),
    )
    assert spec.payroll == PayrollSpec(
        employment_insurance_industry="construction",
        pay_groups=(
            PayGroup(
                code="daily_workers",
                name="日給者",
                closing_day=15,
                pay_day="end",
                pay_month_offset=1,
                bank_cutoff_business_days=2,
            ),
        ),
        health_insurer=HealthInsurerSpec(
            kind="kumiai",
            name="アクメ健康保険組合",
            rates=(
                KumiaiRate(
                    valid_from=dt.date(2025, 3, 1),
                    health_percent=Decimal("9.5"),
                    care_percent=Decimal("1.8"),
                ),
                KumiaiRate(
                    valid_from=dt.date(2026, 3, 1),
                    health_percent=Decimal("10"),
                    care_percent=Decimal("1.75"),
                    employee_health_percent=Decimal("4.25"),
                ),
            ),
        ),
    )
    # Emails are stored in lower case; an operator's role defaults to operator.
    assert spec.users == (
        UserSpec(email="boss@acme.example", display_name="Boss", role="client_admin"),
    )
    assert spec.operators == (OperatorSpec(email="ops@daiko.example", role="operator"),)
    assert_round_trips(spec, tmp_path)


def test_null_optional_sections_mean_absent(tmp_path: Path) -> None:
    spec = load_one(acme(tmp_path, "oidc:\nsla:\ncalendar:\npayroll:\nusers:\noperators: ~\n"))
    assert spec == load_one(acme(tmp_path))


# --------------------------------------------------------------------------- error format


def test_error_lines_name_file_line_field_and_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path,
        "tenants/acme.yaml",
        MINIMAL
        + """\
users:
  - email: boss@acme.example
    display_name: Boss
    role: client_admin
  - display_name: Clerk
    role: client_member
    email: clerk-at-acme.example
""",
    )
    with pytest.raises(TenantSpecErrors) as info:
        load_tenant_files(["tenants/acme.yaml"])
    assert info.value.errors == (
        SpecError(
            file="tenants/acme.yaml", line=13, field="users[1].email", reason="not an email address"
        ),
    )
    assert str(info.value) == "tenants/acme.yaml:13: users[1].email: not an email address"
    assert isinstance(info.value, ValueError)


def test_spec_error_text_without_field_or_line() -> None:
    assert str(SpecError(file="a.yaml", line=3, field="", reason="bad")) == "a.yaml:3: bad"
    assert str(SpecError(file="a.yaml", line=0, field="", reason="bad")) == "a.yaml: bad"


def test_every_error_in_every_file_is_reported_in_file_then_line_order(tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "first.yaml",
        """\
        slug: first
        name: First
        name_kana: ファースト
        corporate_number: "7000012050003"
        prefecture: Tokio
        services: [payroll, accounting]
        locale: fr
        """,
    )
    second = write(
        tmp_path,
        "second.yaml",
        """\
        slug: second
        name_kana: せかんど
        corporate_number: "1180301018771"
        prefecture: "48"
        services: []
        colour: blue
        """,
    )
    assert errors(first, second) == [
        f"{first}:4: corporate_number: check digit mismatch: got 7, expected 6",
        f'{first}:5: prefecture: unknown prefecture "Tokio", did you mean "Tokyo"?',
        f"{first}:6: services[1]: must be one of payroll, bookkeeping, social_insurance, "
        f'got "accounting"',
        f'{first}:7: locale: must be one of ja, en, got "fr"',
        f"{second}:1: name: is required",
        f'{second}:2: name_kana: must be full-width katakana, found "せ"',
        f'{second}:4: prefecture: unknown prefecture "48", expected a JIS X 0401 code (01-47) '
        "or a name such as 東京都 or Tokyo",
        f"{second}:5: services: must list at least one of payroll, bookkeeping, social_insurance",
        f"{second}:6: colour: unknown key, expected one of: {ROOT_KEYS}",
    ]


def test_valid_files_are_not_returned_when_another_file_fails(tmp_path: Path) -> None:
    good = acme(tmp_path)
    bad = write(tmp_path, "bad.yaml", "slug: bad\n")
    with pytest.raises(TenantSpecErrors) as info:
        load_tenant_files([good, bad])
    assert [e.file for e in info.value.errors] == [str(bad)] * 5


# --------------------------------------------------------------------------- root fields


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    assert acme_errors(tmp_path, "require_mf: true\nusers:\n  - emial: a@b.example\n") == [
        '7: require_mf: unknown key, did you mean "require_mfa"?',
        '9: users[0].emial: unknown key, did you mean "email"?',
        "9: users[0].email: is required",
        "9: users[0].display_name: is required",
        "9: users[0].role: is required",
    ]


def test_missing_and_empty_required_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.yaml", "# a comment\n\nslug: acme\nname:\nname_kana: ''\n")
    assert errors(path) == [
        f"{path}:3: corporate_number: is required",
        f"{path}:3: prefecture: is required",
        f"{path}:3: services: is required",
        f"{path}:4: name: must not be empty",
        f"{path}:5: name_kana: must not be empty",
    ]


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    assert acme_errors(tmp_path, "locale: ja\nlocale: en\n") == [
        "8: locale: duplicate key, first at line 7",
    ]


def test_non_text_keys_and_merge_keys(tmp_path: Path) -> None:
    assert acme_errors(
        tmp_path,
        """\
        1: one
        calendar:
          <<: {working_hours: 08:00-17:00}
        """,
    ) == [
        "7: keys must be text, got 1",
        "9: calendar: merge keys (<<) are not supported",
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("slug: acme-corp", 'slug: must match the file name "acme"'),
        ("slug: Acme", "slug: must be lowercase letters, digits and single hyphens"),
        ("slug: acme--x", "slug: must be lowercase letters, digits and single hyphens"),
        ("slug: 12", "slug: must be text, got 12 (quote it to make it text)"),
        ("name: [a, b]", "name: must be text, got a list"),
        ("name_kana: ｱｸﾒ", 'name_kana: must be full-width katakana, found "ｱ"'),
        ("name_kana: アクメ Inc", 'name_kana: must be full-width katakana, found " "'),
        ("name_kana: 株式会社アクメ", 'name_kana: must be full-width katakana, found "株"'),
        (
            'corporate_number: "8000012050002"',
            "corporate_number: check digit mismatch: got 8, expected 7",
        ),
        ("corporate_number: 700001205000", "corporate_number: must be 13 digits, got 12"),
        (
            "corporate_number: 7000-0120-50002",
            "corporate_number: must contain only the digits 0-9, found '-'",
        ),
        ("corporate_number: {a: 1}", "corporate_number: must be 13 digits, got a mapping"),
        (
            "prefecture: Tokyo-ken",
            'prefecture: unknown prefecture "Tokyo-ken", did you mean "Tokyo"?',
        ),
        ("services: payroll", 'services: must be a list, got "payroll"'),
        ("services: [payroll, payroll]", 'services[1]: duplicate service "payroll"'),
        ("locale: JA", 'locale: must be one of ja, en, got "JA"'),
        (
            "time_zone: Asia/Osaka",
            'time_zone: unknown IANA time zone "Asia/Osaka" (e.g. Asia/Tokyo)',
        ),
        (
            "time_zone: ../etc/passwd",
            'time_zone: unknown IANA time zone "../etc/passwd" (e.g. Asia/Tokyo)',
        ),
        ("status: closed", 'status: must be one of active, suspended, offboarded, got "closed"'),
        ("require_mfa: maybe", 'require_mfa: must be true or false, got "maybe"'),
        ("require_mfa: 1", "require_mfa: must be true or false, got 1"),
    ],
)
def test_root_field_errors(tmp_path: Path, line: str, reason: str) -> None:
    key = line.split(":")[0]
    base = "\n".join(text for text in MINIMAL.splitlines() if not text.startswith(f"{key}:")) + "\n"
    # The field under test is the last line of the file.
    last = base.count("\n") + 1
    assert acme_errors(tmp_path, line + "\n", base=base) == [f"{last}: {reason}"]


def test_file_level_problems(tmp_path: Path) -> None:
    syntax = write(tmp_path, "syntax.yaml", "slug: syntax\nname: a: b\n")
    empty = write(tmp_path, "empty.yaml", "# nothing yet\n")
    listing = write(tmp_path, "listing.yaml", "- slug: listing\n")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"slug: binary\nname: \xff\n")
    two = write(tmp_path, "two.yaml", "slug: two\n---\nslug: three\n")
    missing = tmp_path / "missing.yaml"
    assert errors(syntax, empty, listing, binary, two, missing) == [
        f"{syntax}:2: YAML syntax error: mapping values are not allowed here",
        f"{empty}:1: the file is empty; expected a mapping of tenant settings",
        f"{listing}:1: must be a mapping, got a list",
        f"{binary}:2: not valid UTF-8 text",
        f"{two}:2: YAML syntax error: but found another document",
        f"{missing}: cannot read the file: No such file or directory",
    ]


# --------------------------------------------------------------------------- duplicates


def test_duplicate_corporate_numbers_across_files(tmp_path: Path) -> None:
    first = acme(tmp_path)
    other = write(tmp_path, "other.yaml", MINIMAL.replace("slug: acme", "slug: other"))
    assert errors(first, other) == [
        f"{other}:4: corporate_number: duplicate corporate number, also in {first}:4",
    ]


def test_duplicate_slugs_across_directories(tmp_path: Path) -> None:
    first = write(tmp_path, "a/acme.yaml", MINIMAL)
    second = write(
        tmp_path,
        "b/acme.yaml",
        MINIMAL.replace('"7000012050002"', '"1180301018771"'),
    )
    assert errors(first, second) == [f"{second}:1: slug: duplicate slug, also in {first}:1"]


def test_duplicate_emails_within_a_file(tmp_path: Path) -> None:
    assert acme_errors(
        tmp_path,
        """\
        users:
          - {email: boss@acme.example, display_name: Boss, role: client_admin}
          - {email: BOSS@acme.example, display_name: Boss 2, role: client_member}
        operators:
          - {email: ops@daiko.example, role: lead}
          - {email: ops@daiko.example}
          - {email: boss@acme.example}
        """,
    ) == [
        "9: users[1].email: duplicate email, also users[0]",
        "12: operators[1].email: duplicate email, also operators[0]",
        "13: operators[2].email: duplicate email, also users[0]",
    ]


def test_the_same_operator_may_serve_several_tenants(tmp_path: Path) -> None:
    operators = "operators:\n  - {email: ops@daiko.example, role: lead}\n"
    first = write(tmp_path, "acme.yaml", MINIMAL + operators)
    second = write(
        tmp_path,
        "other.yaml",
        MINIMAL.replace("slug: acme", "slug: other").replace("7000012050002", "1180301018771")
        + operators,
    )
    assert [s.slug for s in load_tenant_files([first, second])] == ["acme", "other"]


# --------------------------------------------------------------------------- oidc


def test_oidc_errors(tmp_path: Path) -> None:
    assert acme_errors(
        tmp_path,
        """\
        oidc:
          issuer: http://idp.acme.example
          discovery_url: https://idp.acme.example/x?y=1
          client_id: portal
          client_secret: s3cr3t-value
          client_secret_env: s3cr3t-value
          required: sometimes
        """,
    ) == [
        "8: oidc.issuer: must be an https URL without query or fragment",
        "9: oidc.discovery_url: must be an https URL without query or fragment",
        "11: oidc.client_secret: secrets never go in tenant files: put it in an environment "
        "variable and name that variable in client_secret_env",
        "12: oidc.client_secret_env: must be the name of an environment variable (A-Z, 0-9, _), "
        "not the secret itself",
        '13: oidc.required: must be true or false, got "sometimes"',
    ]


def test_oidc_required_keys(tmp_path: Path) -> None:
    assert acme_errors(tmp_path, "oidc:\n  required: true\n") == [
        "8: oidc.issuer: is required",
        "8: oidc.client_id: is required",
        "8: oidc.client_secret_env: is required",
    ]


def test_oidc_on_localhost_and_discovery_default(tmp_path: Path) -> None:
    spec = load_one(
        acme(
            tmp_path,
            """\
            oidc:
              issuer: http://localhost:8080/realms/dev
              client_id: portal
              client_secret_env: DEV_SECRET
            """,
        )
    )
    assert spec.oidc is not None
    assert spec.oidc.required is False
    assert (
        spec.oidc.discovery_document_url
        == "http://localhost:8080/realms/dev/.well-known/openid-configuration"
    )


# --------------------------------------------------------------------------- sla


def test_sla_errors(tmp_path: Path) -> None:
    assert acme_errors(
        tmp_path,
        """\
        sla:
          payroll:
            urgnt: {first_response_hours: 2}
            normal: {}
            high:
            low: {first_response_hours: 0, resolution_business_days: 61}
          bookkeeping:
            payroll_days_before_payday: 3
          accounting: {}
          social_insurance: {}
        """,
        base=MINIMAL.replace("[payroll]", "[payroll, social_insurance]"),
    ) == [
        '9: sla.payroll.urgnt: unknown key, did you mean "urgent"?',
        "10: sla.payroll.normal: must set first_response_hours or resolution_business_days",
        "11: sla.payroll.high: must set first_response_hours or resolution_business_days",
        "12: sla.payroll.low.first_response_hours: must be an integer from 1 to 168, got 0",
        "12: sla.payroll.low.resolution_business_days: must be an integer from 1 to 60, got 61",
        '13: sla.bookkeeping: "bookkeeping" is not in services',
        "14: sla.bookkeeping.payroll_days_before_payday: unknown key, expected one of: "
        "urgent, high, normal, low",
        "14: sla.bookkeeping: must set at least one target",
        "15: sla.accounting: unknown key, expected one of: payroll, bookkeeping, social_insurance",
        "16: sla.social_insurance: must set at least one target",
    ]


def test_sla_service_without_targets_and_sla_of_the_wrong_shape(tmp_path: Path) -> None:
    assert acme_errors(tmp_path, "sla:\n  payroll:\n") == [
        "8: sla.payroll: must set at least one target",
    ]
    assert acme_errors(tmp_path, "sla: [payroll]\n") == ["7: sla: must be a mapping, got a list"]


def test_payroll_delivery_must_leave_time_for_the_bank(tmp_path: Path) -> None:
    assert acme_errors(
        tmp_path,
        """\
        sla:
          payroll:
            payroll_days_before_payday: 2
        payroll:
          pay_groups:
            - {code: monthly, name: 月給, closing_day: end, pay_day: 25}
            - {code: bonus, name: 賞与, closing_day: 10, pay_day: 10, bank_cutoff_business_days: 1}
        """,
    ) == [
        "9: sla.payroll.payroll_days_before_payday: must be at least the bank cut-off of pay "
        'group "monthly" (3 business days before payday)',
    ]


# --------------------------------------------------------------------------- calendar


def test_calendar_errors(tmp_path: Path) -> None:
    assert acme_errors(
        tmp_path,
        """\
        calendar:
          working_hours: 18:00-09:00
          closures:
            - {label: お盆, start: 08-13, end: 2026-08-16}
            - {label: 改装, start: 2026-05-08, end: 2026-05-07}
            - {label: 謎, start: 02-30, end: 13-01}
            - {start: 01-01, end: 01-01}
            - label: 年末
              start: 12/29
              end: 2026-12-29 10:00:00
          extra_days_off: [2026-02-30, 2026-11-20, 2026-11-20, 11-20]
        """,
    ) == [
        '8: calendar.working_hours: must be "HH:MM-HH:MM" with the start first '
        '(e.g. 09:00-18:00), got "18:00-09:00"',
        "10: calendar.closures[0].end: must be written like start: both MM-DD or both YYYY-MM-DD",
        "11: calendar.closures[1].end: must not be before start (2026-05-08)",
        "12: calendar.closures[2].start: must be MM-DD (every year) or YYYY-MM-DD (once), "
        'got "02-30"',
        "12: calendar.closures[2].end: must be MM-DD (every year) or YYYY-MM-DD (once), "
        'got "13-01"',
        "13: calendar.closures[3].label: is required",
        "15: calendar.closures[4].start: must be MM-DD (every year) or YYYY-MM-DD (once), "
        'got "12/29"',
        "16: calendar.closures[4].end: must be MM-DD (every year) or YYYY-MM-DD (once), "
        "got 2026-12-29 10:00:00",
        "17: calendar.extra_days_off[0]: must be a date (YYYY-MM-DD), got 2026-02-30",
        "17: calendar.extra_days_off[2]: duplicate date 2026-11-20",
        '17: calendar.extra_days_off[3]: must be a date (YYYY-MM-DD), got "11-20"',
    ]


@pytest.mark.parametrize(
    "hours", ["9:00-18:00", "09:00-24:00", "09:60-18:00", "09:00 - 18:00", "09:00"]
)
def test_working_hours_format(tmp_path: Path, hours: str) -> None:
    errors_found = acme_errors(tmp_path, f'calendar:\n  working_hours: "{hours}"\n')
    assert errors_found == [
        f'8: calendar.working_hours: must be "HH:MM-HH:MM" with the start first '
        f'(e.g. 09:00-18:00), got "{hours}"'
    ]


def test_closures_cover_their_days() -> None:
    year_end = Closure(
        label="年末年始", start=MonthDay(month=12, day=29), end=MonthDay(month=1, day=3)
    )
    assert [year_end.covers(dt.date(2026, 12, d)) for d in (28, 29, 31)] == [False, True, True]
    assert [year_end.covers(dt.date(2027, 1, d)) for d in (1, 3, 4)] == [True, True, False]
    obon = Closure(label="お盆", start=MonthDay(month=8, day=13), end=MonthDay(month=8, day=16))
    assert [obon.covers(dt.date(2026, 8, d)) for d in (12, 13, 16, 17)] == [
        False,
        True,
        True,
        False,
    ]
    once = Closure(label="改装", start=dt.date(2026, 5, 7), end=dt.date(2026, 5, 8))
    assert once.covers(dt.date(2026, 5, 8))
    assert not once.covers(dt.date(2027, 5, 8))
    calendar = CalendarSpec(closures=(year_end,), extra_days_off=(dt.date(2026, 6, 12),))
    assert calendar.is_company_day_off(dt.date(2026, 6, 12))
    assert calendar.is_company_day_off(dt.date(2027, 1, 2))
    assert not calendar.is_company_day_off(dt.date(2026, 6, 11))


# --------------------------------------------------------------------------- payroll


def test_payroll_errors(tmp_path: Path) -> None:
    assert acme_errors(
        tmp_path,
        """\
        payroll:
          employment_insurance_industry: fishing
          pay_groups:
            - code: Monthly
              name: 月給
              closing_day: 32
              pay_day: last
              pay_month_offset: 2
              bank_cutoff_business_days: 11
            - {code: hourly, name: 時給, closing_day: 0, pay_day: 10}
            - {code: hourly, name: 時給2, closing_day: end, pay_day: 10, pay_month_offset: 1}
            - {code: hourly, name: 時給3, closing_day: end, pay_day: 10}
          health_insurer:
            kind: kyokai
            name: 協会けんぽ東京支部
            rates: []
        """,
    ) == [
        "8: payroll.employment_insurance_industry: must be one of general, agriculture, "
        'construction, got "fishing"',
        '10: payroll.pay_groups[0].code: must be lowercase letters, digits, "-" or "_"',
        '12: payroll.pay_groups[0].closing_day: must be a day from 1 to 31 or "end", got 32',
        '13: payroll.pay_groups[0].pay_day: must be a day from 1 to 31 or "end", got "last"',
        "14: payroll.pay_groups[0].pay_month_offset: must be an integer from 0 to 1, got 2",
        "15: payroll.pay_groups[0].bank_cutoff_business_days: must be an integer from 0 to 10, "
        "got 11",
        '16: payroll.pay_groups[1].closing_day: must be a day from 1 to 31 or "end", got 0',
        '18: payroll.pay_groups[3].code: duplicate code "hourly", also payroll.pay_groups[2]',
        "21: payroll.health_insurer.name: is not set for 協会けんぽ",
        "22: payroll.health_insurer.rates: 協会けんぽ rates follow the prefecture's rate table; "
        "set rates only for kumiai",
    ]


def test_payroll_needs_the_payroll_service_and_a_pay_group(tmp_path: Path) -> None:
    base = MINIMAL.replace("[payroll]", "[bookkeeping]")
    assert acme_errors(tmp_path, "payroll:\n  pay_groups: []\n", base=base) == [
        '7: payroll: is set but "payroll" is not in services',
        "8: payroll.pay_groups: must list at least one pay group",
    ]
    assert acme_errors(tmp_path, "payroll:\n  health_insurer: {kind: kyokai}\n") == [
        "8: payroll.pay_groups: is required",
    ]


def test_kumiai_errors(tmp_path: Path) -> None:
    assert acme_errors(
        tmp_path,
        """\
        payroll:
          pay_groups: [{code: m, name: 月給, closing_day: end, pay_day: 25}]
          health_insurer:
            kind: kumiai
            rates:
              - valid_from: 2026-03-15
                health_percent: 14
                care_percent: 1.8
              - valid_from: 2026-03-01
                health_percent: 9.1234
                care_percent: -1
              - valid_from: 2026-04-01
                health_percent: "9.2"
                care_percent: "1.6"
                employee_health_percent: 4.65
                employee_care_percent: abc
              - valid_from: 2026-04-01
                health_percent: 9.0
                care_percent: 1.6
              - valid_from: 2026-01-01
                health_percent: 9.0
                care_percent: 1.6
        """,
    ) == [
        "10: payroll.health_insurer.name: is required for kumiai",
        "12: payroll.health_insurer.rates[0].valid_from: must be the first day of an insurance month",
        "13: payroll.health_insurer.rates[0].health_percent: must be from 3 to 13, got 14",
        "16: payroll.health_insurer.rates[1].health_percent: must have at most 3 decimal places, "
        "got 9.1234",
        "17: payroll.health_insurer.rates[1].care_percent: must be from 0 to 10, got -1",
        "21: payroll.health_insurer.rates[2].employee_health_percent: must not exceed half of "
        "the rate (4.6)",
        '22: payroll.health_insurer.rates[2].employee_care_percent: must be a number, got "abc"',
        "23: payroll.health_insurer.rates[3].valid_from: must be later than the previous "
        "rate's (2026-04-01)",
        "26: payroll.health_insurer.rates[4].valid_from: must be later than the previous "
        "rate's (2026-04-01)",
    ]


@pytest.mark.parametrize(
    ("group", "closing_month", "closing", "payday"),
    [
        # 末締め当月25日払い
        (
            PayGroup(code="m", name="m", closing_day="end", pay_day=25),
            (2026, 2),
            "2026-02-28",
            "2026-02-25",
        ),
        (
            PayGroup(code="m", name="m", closing_day="end", pay_day=25),
            (2028, 2),
            "2028-02-29",
            "2028-02-25",
        ),
        # 20日締め当月25日払い
        (
            PayGroup(code="m", name="m", closing_day=20, pay_day=25),
            (2026, 4),
            "2026-04-20",
            "2026-04-25",
        ),
        # 末締め翌月10日払い, across the year end
        (
            PayGroup(code="h", name="h", closing_day="end", pay_day=10, pay_month_offset=1),
            (2026, 12),
            "2026-12-31",
            "2027-01-10",
        ),
        # 31 means the month's last day; 15日締め翌月末払い
        (
            PayGroup(code="x", name="x", closing_day=31, pay_day="end", pay_month_offset=1),
            (2026, 4),
            "2026-04-30",
            "2026-05-31",
        ),
        (
            PayGroup(code="x", name="x", closing_day=15, pay_day=30, pay_month_offset=1),
            (2027, 1),
            "2027-01-15",
            "2027-02-28",
        ),
    ],
)
def test_pay_group_dates(
    group: PayGroup, closing_month: tuple[int, int], closing: str, payday: str
) -> None:
    assert group.closing_date(*closing_month).isoformat() == closing
    assert group.pay_date(*closing_month).isoformat() == payday


# --------------------------------------------------------------------------- people


def test_user_and_operator_errors(tmp_path: Path) -> None:
    assert acme_errors(
        tmp_path,
        """\
        users:
          - email: "boss@acme"
            display_name: Boss
            role: admin
          - "clerk@acme.example"
          - email: 12
            display_name: " "
            role: client_viewer
        operators:
          - {email: ops@daiko.example, role: manager}
          - {role: lead}
        """,
    ) == [
        "8: users[0].email: not an email address",
        '10: users[0].role: must be one of client_admin, client_member, client_viewer, got "admin"',
        '11: users[1]: must be a mapping, got "clerk@acme.example"',
        "12: users[2].email: must be text, got 12 (quote it to make it text)",
        "13: users[2].display_name: must not be empty",
        '16: operators[0].role: must be one of operator, lead, got "manager"',
        "17: operators[1].email: is required",
    ]


# --------------------------------------------------------------------------- demo tenants


def test_demo_tenants_load() -> None:
    specs = load_tenant_dir(TENANTS_DIR)
    assert [s.slug for s in specs] == ["osaka-mfg", "tokyo-soft"]
    osaka, tokyo = specs
    for spec in specs:
        assert is_valid_corporate_number(spec.corporate_number)

    assert tokyo.name == "株式会社ミライソフト"
    assert tokyo.prefecture == "13"
    assert tokyo.services == ("payroll", "bookkeeping", "social_insurance")
    assert tokyo.payroll is not None
    (monthly,) = tokyo.payroll.pay_groups
    assert (monthly.closing_day, monthly.pay_day, monthly.pay_month_offset) == ("end", 25, 0)
    assert tokyo.payroll.health_insurer.kind == "kyokai"
    assert tokyo.calendar.is_company_day_off(dt.date(2026, 12, 29))
    assert tokyo.calendar.is_company_day_off(dt.date(2027, 1, 3))
    assert not tokyo.calendar.is_company_day_off(dt.date(2027, 1, 4))
    assert [(u.email, u.role) for u in tokyo.users] == [
        ("admin@mirai-soft.example", "client_admin"),
        ("keiri@mirai-soft.example", "client_member"),
    ]
    assert [(o.email, o.role) for o in tokyo.operators] == [
        ("operator@daiko.example", "lead"),
        ("operator2@daiko.example", "operator"),
    ]

    assert osaka.name == "株式会社浪速精工"
    assert osaka.prefecture == "27"
    assert osaka.services == ("payroll", "social_insurance")
    assert osaka.payroll is not None
    assert [
        (g.code, g.closing_day, g.pay_day, g.pay_month_offset) for g in osaka.payroll.pay_groups
    ] == [("monthly", 20, 25, 0), ("hourly", "end", 10, 1)]
    assert osaka.payroll.health_insurer.kind == "kumiai"
    assert osaka.calendar.is_company_day_off(dt.date(2026, 8, 14))
    assert osaka.calendar.is_company_day_off(dt.date(2026, 12, 31))
    assert [(u.email, u.role) for u in osaka.users] == [
        ("admin@naniwa-seiko.example", "client_admin"),
        ("auditor@naniwa-seiko.example", "client_viewer"),
    ]
    assert [(o.email, o.role) for o in osaka.operators] == [("operator@daiko.example", "operator")]


def assert_round_trips(spec: TenantSpec, tmp_path: Path) -> str:
    text = dump_tenant_spec(spec)
    path = tmp_path / "round-trip" / f"{spec.slug}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    assert load_tenant_files([path]) == [spec]
    return text


@pytest.mark.parametrize("slug", ["tokyo-soft", "osaka-mfg"])
def test_demo_tenants_round_trip(tmp_path: Path, slug: str) -> None:
    spec = load_one(TENANTS_DIR / f"{slug}.yaml")
    text = assert_round_trips(spec, tmp_path)
    assert text.startswith(f"slug: {slug}\nname: {spec.name}\nname_kana: {spec.name_kana}\n")
    assert "\\u" not in text
    assert f"corporate_number: '{spec.corporate_number}'\n" in text
    assert dump_tenant_spec(load_one(tmp_path / "round-trip" / f"{slug}.yaml")) == text


def test_dump_leaves_out_defaults(tmp_path: Path) -> None:
    assert dump_tenant_spec(load_one(acme(tmp_path))) == (
        "slug: acme\n"
        "name: 株式会社アクメ\n"
        "name_kana: アクメ\n"
        "corporate_number: '7000012050002'\n"
        "prefecture: '13'\n"
        "services:\n"
        "  - payroll\n"
    )


@pytest.mark.parametrize("slug", ["tokyo-soft", "osaka-mfg"])
def test_specs_survive_json_strictly(slug: str) -> None:
    spec = load_one(TENANTS_DIR / f"{slug}.yaml")
    encoded = msgspec.json.encode(spec)
    assert msgspec.json.decode(encoded, type=TenantSpec) == spec
    tampered = msgspec.json.decode(encoded)
    tampered["colour"] = "blue"
    with pytest.raises(msgspec.ValidationError, match="unknown field `colour`"):
        msgspec.json.decode(msgspec.json.encode(tampered), type=TenantSpec)


def test_specs_are_frozen(tmp_path: Path) -> None:
    spec = load_one(acme(tmp_path))
    with pytest.raises(AttributeError):
        spec.slug = "other"  # type: ignore[misc]


def test_choice_constants_match_their_types() -> None:
    pairs = [
        (spec_module.SERVICES, spec_module.Service),
        (spec_module.LOCALES, spec_module.Locale),
        (spec_module.TENANT_STATUSES, spec_module.TenantStatus),
        (spec_module.CLIENT_ROLES, spec_module.ClientRole),
        (spec_module.OPERATOR_ROLES, spec_module.OperatorRole),
        (spec_module.PRIORITIES, spec_module.Priority),
        (spec_module.EMPLOYMENT_INSURANCE_INDUSTRIES, spec_module.EmploymentInsuranceIndustry),
        (spec_module.HEALTH_INSURER_KINDS, spec_module.HealthInsurerKind),
    ]
    for values, literal in pairs:
        assert values == typing.get_args(literal)


def test_load_tenant_dir_reads_yaml_and_yml_only(tmp_path: Path) -> None:
    acme(tmp_path)
    write(
        tmp_path,
        "other.yml",
        MINIMAL.replace("slug: acme", "slug: other").replace("7000012050002", "1180301018771"),
    )
    write(tmp_path, "notes.txt", "not a tenant")
    assert [s.slug for s in load_tenant_dir(tmp_path)] == ["acme", "other"]
