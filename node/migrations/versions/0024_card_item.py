"""Supervision cards: the case's item, which a card carries up to the province (above the handler
no copy of the case names it, and the 事项 column of the card list was empty there)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("supervision_card") as batch:
        batch.add_column(sa.Column("item_name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supervision_card") as batch:
        batch.drop_column("item_name")
