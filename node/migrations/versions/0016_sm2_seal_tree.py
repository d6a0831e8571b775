"""SM2 seal tree: a partner's SM2 seal root beside its root; CRLs of SM2 seal CAs ("<code>:sm2")

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trust_anchor") as table:
        table.add_column(sa.Column("seal_root_der", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("revocation_list") as table:
        table.alter_column("issuer", type_=sa.String(24), existing_type=sa.String(12))


def downgrade() -> None:
    with op.batch_alter_table("revocation_list") as table:
        table.alter_column("issuer", type_=sa.String(12), existing_type=sa.String(24))
    with op.batch_alter_table("trust_anchor") as table:
        table.drop_column("seal_root_der")
