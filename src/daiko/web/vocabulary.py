"""Words stored as codes and shown translated (`{{ _(code) }}`): marked here so message
extraction finds them. The English catalog turns codes into English words."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


SERVICES = (N_("payroll"), N_("bookkeeping"), N_("social_insurance"))
ROLES = (
    N_("client_admin"),
    N_("client_member"),
    N_("client_viewer"),
    N_("operator"),
    N_("lead"),
    N_("ops_admin"),
    N_("partner"),
)
TENANT_STATUSES = (N_("active"), N_("suspended"), N_("offboarded"))
ACTOR_KINDS = (N_("user"), N_("system"))  # "operator" and "partner" are roles above
JOB_STATUSES = (N_("queued"), N_("running"), N_("succeeded"), N_("failed"), N_("cancelled"))
PROBLEM_TITLES = (
    N_("Not found"),
    N_("Authentication is required"),
    N_("You may not do this"),
    N_("The input is not valid"),
    N_("Conflict with the current state"),
    N_("Internal server error"),
    N_("The request is malformed"),
    N_("Too many requests"),
)

# Short names of job kinds (codes from daiko.jobs.kinds.JobKind).
JOB_KIND_LABELS = {
    "noop": N_("No-op (machinery check)"),
    "sample_records": N_("Sample records batch"),
    "document_verify": N_("Document verification"),
}

DOCUMENT_CLASSIFICATIONS = (
    N_("timesheet"),
    N_("receipt"),
    N_("bank_statement"),
    N_("payslip"),
    N_("filing"),
    N_("contract"),
    N_("other"),
)
RETENTION_CLASSES = (N_("bookkeeping_evidence"), N_("payroll_record"), N_("general"))
VERSION_STATUSES = (N_("pending"), N_("uploaded"), N_("verified"), N_("quarantined"))

# Cases (codes from daiko.cases.models and daiko.cases.states).
CASE_STATUSES = (
    N_("draft"),
    N_("submitted"),
    N_("accepted"),
    N_("in_progress"),
    N_("waiting_on_client"),
    N_("in_review"),
    N_("delivered"),
    N_("closed"),
    N_("rejected"),
    N_("cancelled"),
)
CASE_PRIORITIES = (N_("urgent"), N_("high"), N_("normal"), N_("low"))
CASE_SERVICES = (N_("general"),)  # the others are in SERVICES above
CASE_TYPE_LABELS = {
    "payroll": N_("Payroll run"),
    "bookkeeping_close": N_("Monthly close"),
    "si_hire": N_("Social insurance: enrolment"),
    "si_leave": N_("Social insurance: loss of coverage"),
    "si_dependants": N_("Social insurance: dependants"),
    "si_santei": N_("Social insurance: annual base (santei)"),
    "si_monthly_change": N_("Social insurance: monthly change"),
    "si_bonus": N_("Social insurance: bonus report"),
    "si_other": N_("Social insurance: other procedure"),
    "inquiry": N_("General inquiry"),
}
# Status change buttons (names from daiko.cases.states.TRANSITIONS).
CASE_TRANSITION_LABELS = {
    "submit": N_("Submit"),
    "cancel": N_("Cancel the case"),
    "accept": N_("Accept"),
    "reject": N_("Reject"),
    "start": N_("Start work"),
    "ask_client": N_("Ask the client"),
    "send_to_review": N_("Send to review"),
    "resume": N_("Resume"),
    "approve_and_deliver": N_("Approve and deliver"),
    "request_changes": N_("Request changes"),
    "close": N_("Close"),
    "reopen": N_("Reopen"),
}

CHECKLIST_KINDS = (N_("document"), N_("data"))

# SLA state of a case: its worst open clock (codes from daiko.sla.models.CLOCK_STATUSES).
SLA_STATE_LABELS = {
    "breached": N_("SLA breached"),
    "warning": N_("SLA warning"),
    "ok": N_("SLA on track"),
    "paused": N_("SLA paused"),
    "not_started": N_("SLA not started"),
}
DEADLINE_KINDS = {
    "statutory": N_("Statutory"),
    "payroll": N_("Payroll"),
    "sla": N_("SLA"),
}

# Password policy reasons (codes from daiko.auth.passwords.PolicyCode).
PASSWORD_POLICY_LABELS = {
    "too_short": N_("Use at least 12 characters."),
    "too_long": N_("Use at most 128 characters."),
    "common_password": N_("This password is too common; choose another."),
    "repetitive_or_sequential": N_("Avoid repeated or sequential characters."),
    "contains_email": N_("Do not use your e-mail address in the password."),
    "contains_name": N_("Do not use your name in the password."),
    "contains_service_name": N_("Do not use the service's name in the password."),
}

# Sign-in refusals, shown by their stable problem title (daiko.auth.errors).
AUTH_ERROR_TITLES = frozenset(
    {
        N_("The e-mail address or password is not correct"),
        N_("The code is not correct"),
        N_("Your organisation requires sign-in through its identity provider"),
        N_("Too many failed sign-in attempts"),
        N_("The request did not come from a Daiko page"),
        N_("This password reset link is invalid, used or expired"),
        N_("No second factor is enrolled yet"),
        N_("A second factor is already enrolled"),
        N_("Sign-in through the identity provider failed"),
        N_("The code is wrong, expired or already used."),
        N_("The code is wrong; check the time on your phone and try again."),
        # Why a single sign-on was refused (daiko.auth.oidc); the title alone says little.
        N_("This sign-in was started in another browser; start again."),
        N_("This sign-in has expired or was already used; start again."),
        N_("The identity provider did not give a verified e-mail address."),
        N_("No Daiko account matches this identity."),
        N_("The identity provider refused the sign-in; start again."),
        N_("The identity provider's answer could not be verified."),
    }
)
