"""Ratings: what the handler told the origin of the 整改 a 差评 opened (its deadline, when it
closed and the 回访 record), so the village where the citizen rated can tell them

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rating") as batch:
        batch.add_column(sa.Column("rectification_deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("rectified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("return_visit", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("rating") as batch:
        batch.drop_column("return_visit")
        batch.drop_column("rectified_at")
        batch.drop_column("rectification_deadline")
