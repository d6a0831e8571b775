"""resync after a restore: the case an inbox entry concerns, the restored outbound cursor

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbox", sa.Column("case_id", sa.String(length=64), nullable=True))
    op.add_column("link_state", sa.Column("restored_next_seq", sa.BigInteger(), nullable=True))
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_created_at", table_name="outbox")
    op.drop_column("link_state", "restored_next_seq")
    op.drop_column("inbox", "case_id")
