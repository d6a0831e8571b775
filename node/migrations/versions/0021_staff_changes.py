"""Staff changes (操作记录): who added, changed, disabled, enabled an account or set its password,
and when, so a county hall can answer "who disabled clerk6"; never a password or its hash

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("by", sa.String(32), nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("what", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_change_at", "staff_change", ["at"])


def downgrade() -> None:
    op.drop_index("ix_staff_change_at", "staff_change")
    op.drop_table("staff_change")
