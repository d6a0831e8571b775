"""working calendar and signed anchors: the official working-day calendar of each year, as the
province signed it; partner trust anchors keep the province's signed message to pass it on

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "working_calendar",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("province", sa.String(12), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.add_column("trust_anchor", sa.Column("signed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("trust_anchor", "signed")
    op.drop_table("working_calendar")
