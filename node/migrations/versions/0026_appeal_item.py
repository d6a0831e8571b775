"""Rating appeals: the case's item, which an appeal carries to the supervising tier (it holds no copy
of the case, and its 申诉复核 page could not say what the rated case was for)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 01:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rating_appeal") as batch:
        batch.add_column(sa.Column("item_name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rating_appeal") as batch:
        batch.drop_column("item_name")
