"""awaiting timestamp: a result sealed while the province's time-stamping service was away waits,
with its conclusion notice, for its token

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 11:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "awaiting_timestamp",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("peer", sa.String(length=12), nullable=False),
        sa.Column("notice", sa.LargeBinary(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("awaiting_timestamp")
