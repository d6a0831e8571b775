"""Partner link state: the province's word, flooded down its tree, on whether a partner province
(跨省通办) can be reached, so the nodes below tell a waiting case why it waits

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_link_state",
        sa.Column("province", sa.String(length=12), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("stated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("province"),
    )


def downgrade() -> None:
    op.drop_table("partner_link_state")
