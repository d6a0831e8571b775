"""Case requests: what the applicant's point sent a case's handler (the case, a 撤回, 补正材料) and
where it stands, so the point can tell a citizen whether it left and why a request was refused

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_request",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("peer", sa.String(12), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", _TZ, nullable=False),
        sa.Column("answered_at", _TZ, nullable=True),
        sa.Column("refusal", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_request_case", "case_request", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_request_case", "case_request")
    op.drop_table("case_request")
