"""certificate purpose width: "timestamp" (the province's time-stamping certificate) is 9 letters

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite ignores VARCHAR lengths; PostgreSQL refused the province's TSA certificate
    with op.batch_alter_table("issued_certificate") as table:
        table.alter_column("purpose", type_=sa.String(16), existing_type=sa.String(8))


def downgrade() -> None:
    with op.batch_alter_table("issued_certificate") as table:
        table.alter_column("purpose", type_=sa.String(8), existing_type=sa.String(16))
