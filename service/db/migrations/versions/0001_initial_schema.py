"""Initial schema: accounts, API tokens, people, referrals, seats, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Hand-reviewed from autogenerate; frozen (no imports from the models, so later model changes
cannot alter what this revision does). Runs on SQLite and PostgreSQL. The audit log is made
append-only by triggers on both backends (UPDATE and DELETE are refused).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("caseworker", "supervisor", "admin")
STATUSES = ("referred", "enrolled", "completed", "certified", "employed", "withdrawn")
AUDIT_REFUSAL = "audit_log is append-only"


def _ts(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _in(column: str, values: Sequence[str]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def upgrade() -> None:
    """Create the tables, indexes and the audit log's append-only triggers."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _ts("locked_until", nullable=True),
        _ts("created_at", nullable=False),
        _ts("password_changed_at", nullable=True),
        _ts("last_login_at", nullable=True),
        sa.CheckConstraint(_in("role", ROLES), name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        _ts("created_at", nullable=False),
        _ts("expires_at", nullable=True),
        _ts("revoked_at", nullable=True),
        _ts("last_used_at", nullable=True),
        sa.CheckConstraint(_in("role", ROLES), name="ck_api_tokens_role"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_api_tokens_owner_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("id_masked", sa.String(length=18), nullable=False),
        sa.Column("name_masked", sa.String(length=32), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=11), nullable=True),
        sa.Column("group", sa.String(length=32), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        _ts("consent_at", nullable=False),
        sa.Column("consent_text_version", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _ts("created_at", nullable=False),
        _ts("last_activity_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_people_created_by_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("id_hash", name="uq_people_id_hash"),
    )
    op.create_index("ix_people_last_activity_at", "people", ["last_activity_at"])
    op.create_index("ix_people_phone_hash", "people", ["phone_hash"])
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("caseworker_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        _ts("referred_at", nullable=False),
        _ts("enrolled_at", nullable=True),
        _ts("completed_at", nullable=True),
        _ts("certified_at", nullable=True),
        _ts("employed_at", nullable=True),
        _ts("withdrawn_at", nullable=True),
        _ts("updated_at", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_referrals_referral_status"),
        sa.ForeignKeyConstraint(
            ["caseworker_id"],
            ["users.id"],
            name="fk_referrals_caseworker_id_users",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_referrals_person_id_people", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_referrals"),
    )
    op.create_index("ix_referrals_caseworker_id", "referrals", ["caseworker_id"])
    op.create_index("ix_referrals_course_status", "referrals", ["course_id", "status"])
    op.create_index("ix_referrals_institution_status", "referrals", ["institution_id", "status"])
    op.create_index("ix_referrals_person_id", "referrals", ["person_id"])
    op.create_index("ix_referrals_session_id", "referrals", ["session_id"])
    op.create_table(
        "session_seats",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        _ts("updated_at", nullable=False),
        sa.CheckConstraint("capacity >= 0", name="ck_session_seats_capacity_nonnegative"),
        sa.CheckConstraint("enrolled >= 0", name="ck_session_seats_enrolled_nonnegative"),
        sa.PrimaryKeyConstraint("session_id", name="pk_session_seats"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        _ts("at", nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"])
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id"])
    _create_audit_guards()


def _create_audit_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{AUDIT_REFUSAL}' USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
        )
    elif dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{AUDIT_REFUSAL}'); END"
            )


def downgrade() -> None:
    """Drop everything this revision created."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_table("audit_log")
    op.drop_table("session_seats")
    op.drop_table("referrals")
    op.drop_table("people")
    op.drop_table("api_tokens")
    op.drop_table("users")
