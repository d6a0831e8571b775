"""electronic licences and their revocations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:04:07.896060
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "licence_revocation",
        sa.Column("identifier", sa.String(length=160), nullable=False),
        sa.Column("issuer_node", sa.String(length=12), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("identifier"),
    )
    op.create_table(
        "licence",
        sa.Column("identifier", sa.String(length=160), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("identifier"),
    )
    with op.batch_alter_table("licence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("licence", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.drop_column("licence")

    with op.batch_alter_table("licence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licence_case_id"))

    op.drop_table("licence")
    op.drop_table("licence_revocation")
