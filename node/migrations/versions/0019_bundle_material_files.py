"""Bundle materials keep their file's name and media type, which each part's case then carries

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # rows of earlier bundles stay NULL: their parts' files have no name, as they had before
    with op.batch_alter_table("bundle_material") as table:
        table.add_column(sa.Column("file_name", sa.String(255), nullable=True))
        table.add_column(sa.Column("media_type", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bundle_material") as table:
        table.drop_column("media_type")
        table.drop_column("file_name")
