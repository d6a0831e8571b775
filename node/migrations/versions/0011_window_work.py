"""window work: staff accounts and logins, case departments and channels, material files, the
person and department of each event, card and rating, return visits, queue and search indexes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_account",
        sa.Column("username", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", _TZ, nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "staff_login",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(32), sa.ForeignKey("staff_account.username"), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
    )
    op.create_index("ix_staff_login_username", "staff_login", ["username"])
    op.create_table(
        "return_visit",
        sa.Column("case_id", sa.String(64), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("opened_at", _TZ, nullable=False),
        sa.Column("done_at", _TZ, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("visitor", sa.String(100), nullable=True),
    )
    op.create_index("ix_return_visit_done", "return_visit", ["done_at"])
    with op.batch_alter_table("service_item") as table:
        table.add_column(sa.Column("max_material_mb", sa.Integer(), nullable=True))
    with op.batch_alter_table("case") as table:
        table.add_column(sa.Column("department", sa.String(100), nullable=True))
        table.add_column(sa.Column("channel", sa.String(8), nullable=True))
        table.add_column(sa.Column("responsible_person", sa.String(100), nullable=True))
        table.add_column(sa.Column("due_on", sa.Date(), nullable=True))
    op.execute(
        'UPDATE "case" SET department = (SELECT service_item.department FROM service_item '
        'WHERE service_item.code = "case".item_code)'
    )
    op.execute(
        'UPDATE "case" SET due_on = (SELECT case_deadline.deadline FROM case_deadline '
        'WHERE case_deadline.case_id = "case".id AND case_deadline.open)'
    )
    op.create_index("ix_case_queue", "case", ["handler", "department", "state", "due_on"])
    op.create_index("ix_case_origin_submitted", "case", ["origin", "submitted_at"])
    op.create_index("ix_case_submitted", "case", ["submitted_at"])
    op.create_index("ix_case_applicant_name", "case", ["applicant_name"])
    op.create_index("ix_case_applicant_id_number", "case", ["applicant_id_number"])
    op.create_index("ix_case_applicant_phone", "case", ["applicant_phone"])
    with op.batch_alter_table("case_material") as table:
        table.add_column(sa.Column("file_name", sa.String(255), nullable=True))
        table.add_column(sa.Column("media_type", sa.String(100), nullable=True))
        table.add_column(sa.Column("size", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("licence", sa.String(160), nullable=True))
        table.add_column(sa.Column("purpose", sa.String(12), nullable=True))
    with op.batch_alter_table("case_event") as table:
        table.add_column(sa.Column("actor_person", sa.String(100), nullable=True))
        table.add_column(sa.Column("actor_department", sa.String(100), nullable=True))
    for name in ("supervision_card", "rating"):
        with op.batch_alter_table(name) as table:
            table.add_column(sa.Column("department", sa.String(100), nullable=True))
            table.add_column(sa.Column("person", sa.String(100), nullable=True))


def downgrade() -> None:
    for name in ("rating", "supervision_card"):
        with op.batch_alter_table(name) as table:
            table.drop_column("person")
            table.drop_column("department")
    with op.batch_alter_table("case_event") as table:
        table.drop_column("actor_department")
        table.drop_column("actor_person")
    with op.batch_alter_table("case_material") as table:
        for column in ("purpose", "licence", "size", "media_type", "file_name"):
            table.drop_column(column)
    for index in (
        "ix_case_applicant_phone",
        "ix_case_applicant_id_number",
        "ix_case_applicant_name",
        "ix_case_submitted",
        "ix_case_origin_submitted",
        "ix_case_queue",
    ):
        op.drop_index(index, table_name="case")
    with op.batch_alter_table("case") as table:
        for column in ("due_on", "responsible_person", "channel", "department"):
            table.drop_column(column)
    with op.batch_alter_table("service_item") as table:
        table.drop_column("max_material_mb")
    op.drop_index("ix_return_visit_done", table_name="return_visit")
    op.drop_table("return_visit")
    op.drop_index("ix_staff_login_username", table_name="staff_login")
    op.drop_table("staff_login")
    op.drop_table("staff_account")
