"""Cases: the 一件事 (bundle) a case is a part of, at both copies: the handler keeps it too, so the
整改 tasks one bundle's rating opens there know they belong together (one call to the family)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("bundle_id", sa.String(length=64), nullable=True))
        batch.create_index("ix_case_bundle_id", ["bundle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.drop_index("ix_case_bundle_id")
        batch.drop_column("bundle_id")
