# ruff: noqa: E501  (DDL rendered by SQLAlchemy, one constraint a line)
"""social-insurance procedures, filings, grade reviews

Revision ID: 0015
Revises: 0014

The DDL is SQLAlchemy's own rendering of `daiko.social_insurance.models` (so the
models and the schema agree); every table is tenant-owned under RLS.
"""

from collections.abc import Sequence

from alembic import op

from daiko.db.rls import disable_rls_sql, enable_rls_sql

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "si_offices",
    "si_enrolments",
    "si_dependents",
    "si_procedures",
    "si_procedure_events",
    "si_procedure_documents",
    "si_reviews",
    "si_review_items",
)

DDL = (
    """
CREATE TABLE si_offices (
    tenant_id UUID NOT NULL,
    prefecture_code VARCHAR(2) NOT NULL,
    area_code VARCHAR(2) NOT NULL,
    office_code VARCHAR(4) NOT NULL,
    office_number VARCHAR(5) NOT NULL,
    zip_code VARCHAR(7) NOT NULL,
    address VARCHAR(75) NOT NULL,
    name VARCHAR(50) NOT NULL,
    owner_name VARCHAR(25) NOT NULL,
    phone VARCHAR(20) NOT NULL,
    koyo_office_number VARCHAR(13),
    id UUID NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_si_offices PRIMARY KEY (tenant_id, id),
    CONSTRAINT uq_si_offices_tenant_id UNIQUE (tenant_id),
    CONSTRAINT ck_si_offices_prefecture_code CHECK (prefecture_code ~ '^[0-9]{2}$'),
    CONSTRAINT ck_si_offices_area_code CHECK (area_code ~ '^[0-9]{2}$'),
    CONSTRAINT ck_si_offices_office_number CHECK (office_number ~ '^[0-9]{1,5}$'),
    CONSTRAINT ck_si_offices_zip_code CHECK (zip_code ~ '^[0-9]{7}$'),
    CONSTRAINT fk_si_offices_tenant_id_tenants FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)
    """,
    """
CREATE TABLE si_enrolments (
    employee_id UUID NOT NULL,
    insured_number VARCHAR(6) NOT NULL,
    basic_pension_number VARCHAR(10),
    koyo_insured_number VARCHAR(13),
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_si_enrolments PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_si_enrolments_tenant_id_employee_id_employees FOREIGN KEY(tenant_id, employee_id) REFERENCES employees (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT uq_si_enrolments_tenant_id_employee_id UNIQUE (tenant_id, employee_id),
    CONSTRAINT ck_si_enrolments_insured_number CHECK (insured_number ~ '^[0-9]{1,6}$'),
    CONSTRAINT ck_si_enrolments_basic_pension_number CHECK (basic_pension_number is null or basic_pension_number ~ '^[0-9]{10}$')
)
    """,
    """
CREATE TABLE si_dependents (
    employee_id UUID NOT NULL,
    family_name VARCHAR(50) NOT NULL,
    given_name VARCHAR(50) NOT NULL,
    family_name_kana VARCHAR(50) NOT NULL,
    given_name_kana VARCHAR(50) NOT NULL,
    birth_date DATE NOT NULL,
    relationship VARCHAR(16) NOT NULL,
    annual_income INTEGER DEFAULT '0' NOT NULL,
    my_number_token TEXT,
    my_number_last4 VARCHAR(4),
    started_on DATE NOT NULL,
    ended_on DATE,
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_si_dependents PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_si_dependents_tenant_id_employee_id_employees FOREIGN KEY(tenant_id, employee_id) REFERENCES employees (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT ck_si_dependents_relationship CHECK (relationship in ('spouse', 'child', 'parent', 'grandchild', 'sibling', 'other')),
    CONSTRAINT ck_si_dependents_income CHECK (annual_income >= 0),
    CONSTRAINT ck_si_dependents_last4 CHECK (my_number_last4 is null or my_number_last4 ~ '^[0-9]{4}$'),
    CONSTRAINT ck_si_dependents_dates CHECK (ended_on is null or ended_on >= started_on)
)
    """,
    """
CREATE TABLE si_procedures (
    case_id UUID NOT NULL,
    employee_id UUID,
    kind VARCHAR(24) NOT NULL,
    event VARCHAR(24) NOT NULL,
    event_date DATE NOT NULL,
    status VARCHAR(16) DEFAULT 'draft' NOT NULL,
    due_date DATE,
    clock_started_on DATE NOT NULL,
    inputs JSONB DEFAULT '{}' NOT NULL,
    review_id UUID,
    arrival_id VARCHAR(64),
    submitted_at TIMESTAMP WITH TIME ZONE,
    completed_at TIMESTAMP WITH TIME ZONE,
    returned_at TIMESTAMP WITH TIME ZONE,
    return_reason TEXT,
    file_job_id UUID,
    version INTEGER DEFAULT '1' NOT NULL,
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_si_procedures PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_si_procedures_tenant_id_case_id_cases FOREIGN KEY(tenant_id, case_id) REFERENCES cases (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_si_procedures_tenant_id_employee_id_employees FOREIGN KEY(tenant_id, employee_id) REFERENCES employees (tenant_id, id),
    CONSTRAINT ck_si_procedures_kind CHECK (kind in ('shaho_acquisition', 'shaho_loss', 'dependants', 'santei', 'monthly_change', 'bonus', 'koyo_acquisition', 'koyo_loss')),
    CONSTRAINT ck_si_procedures_status CHECK (status in ('draft', 'ready', 'submitted', 'arrived', 'under_review', 'completed', 'returned', 'cancelled')),
    CONSTRAINT ck_si_procedures_event CHECK (event in ('hire', 'leave', 'dependants_change', 'bonus', 'annual', 'monthly_change')),
    CONSTRAINT ck_si_procedures_version_positive CHECK (version >= 1)
)
    """,
    """
CREATE INDEX ix_si_procedures_tenant_id_case_id ON si_procedures (tenant_id, case_id)
    """,
    """
CREATE INDEX ix_si_procedures_tenant_id_due_date ON si_procedures (tenant_id, due_date)
    """,
    """
CREATE INDEX ix_si_procedures_tenant_id_employee_id ON si_procedures (tenant_id, employee_id)
    """,
    """
CREATE TABLE si_procedure_events (
    procedure_id UUID NOT NULL,
    from_status VARCHAR(16),
    to_status VARCHAR(16) NOT NULL,
    actor_display TEXT,
    note TEXT,
    document_id UUID,
    at TIMESTAMP WITH TIME ZONE DEFAULT clock_timestamp() NOT NULL,
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    CONSTRAINT pk_si_procedure_events PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_si_procedure_events_tenant_id_procedure_id_si_procedures FOREIGN KEY(tenant_id, procedure_id) REFERENCES si_procedures (tenant_id, id) ON DELETE CASCADE
)
    """,
    """
CREATE INDEX ix_si_procedure_events_tenant_id_procedure_id ON si_procedure_events (tenant_id, procedure_id)
    """,
    """
CREATE TABLE si_procedure_documents (
    procedure_id UUID NOT NULL,
    kind VARCHAR(16) NOT NULL,
    document_id UUID NOT NULL,
    filename VARCHAR(200) NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    CONSTRAINT pk_si_procedure_documents PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_si_procedure_documents_tenant_id_procedure_id_si_procedures FOREIGN KEY(tenant_id, procedure_id) REFERENCES si_procedures (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_si_procedure_documents_tenant_id_document_id_documents FOREIGN KEY(tenant_id, document_id) REFERENCES documents (tenant_id, id),
    CONSTRAINT ck_si_procedure_documents_kind CHECK (kind in ('form_pdf', 'data_csv', 'rishoku_pdf', 'reply'))
)
    """,
    """
CREATE INDEX ix_si_procedure_documents_tenant_id_procedure_id ON si_procedure_documents (tenant_id, procedure_id)
    """,
    """
CREATE TABLE si_reviews (
    kind VARCHAR(16) NOT NULL,
    period VARCHAR(7) NOT NULL,
    status VARCHAR(16) DEFAULT 'building' NOT NULL,
    job_id UUID,
    case_id UUID,
    summary JSONB DEFAULT '{}' NOT NULL,
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_si_reviews PRIMARY KEY (tenant_id, id),
    CONSTRAINT ck_si_reviews_kind CHECK (kind in ('santei', 'monthly_change')),
    CONSTRAINT ck_si_reviews_status CHECK (status in ('building', 'open', 'closed')),
    CONSTRAINT ck_si_reviews_period_format CHECK (period ~ '^[0-9]{4}(-(0[1-9]|1[0-2]))?$'),
    CONSTRAINT uq_si_reviews_tenant_id_kind_period UNIQUE (tenant_id, kind, period)
)
    """,
    """
CREATE TABLE si_review_items (
    review_id UUID NOT NULL,
    employee_id UUID NOT NULL,
    status VARCHAR(16) DEFAULT 'proposed' NOT NULL,
    current_health INTEGER,
    current_pension INTEGER,
    new_health INTEGER,
    new_pension INTEGER,
    average INTEGER,
    effective_month DATE,
    months JSONB DEFAULT '[]' NOT NULL,
    reason TEXT DEFAULT '' NOT NULL,
    approved_by UUID,
    approved_at TIMESTAMP WITH TIME ZONE,
    procedure_id UUID,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    CONSTRAINT pk_si_review_items PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_si_review_items_tenant_id_review_id_si_reviews FOREIGN KEY(tenant_id, review_id) REFERENCES si_reviews (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_si_review_items_tenant_id_employee_id_employees FOREIGN KEY(tenant_id, employee_id) REFERENCES employees (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT ck_si_review_items_status CHECK (status in ('proposed', 'approved', 'dismissed', 'no_change')),
    CONSTRAINT uq_si_review_items_tenant_id_review_id_employee_id UNIQUE (tenant_id, review_id, employee_id),
    CONSTRAINT fk_si_review_items_approved_by_users FOREIGN KEY(approved_by) REFERENCES users (id) ON DELETE SET NULL
)
    """,
)


def upgrade() -> None:
    for stmt in DDL:
        op.execute(stmt)
    for table in TENANT_TABLES:
        for rls in enable_rls_sql(table):
            op.execute(rls)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        for rls in disable_rls_sql(table):
            op.execute(rls)
        op.execute(f"DROP TABLE {table}")
