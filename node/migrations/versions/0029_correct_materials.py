"""Case events: the materials a 补正告知 names to correct (by the item's material names), so the
补正告知书 lists them and the village's 补正材料 form offers them first

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_event") as batch:
        batch.add_column(sa.Column("correct_materials", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_event") as batch:
        batch.drop_column("correct_materials")
