"""跨省通办: partner provinces, trust anchors, partner offers, case modes, identity checks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_item") as batch_op:
        batch_op.add_column(sa.Column("partner_modes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("joint_item", sa.String(length=64), nullable=True))
    with op.batch_alter_table("case") as batch_op:
        batch_op.add_column(sa.Column("mode", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("joint_of", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_case_joint_of", ["joint_of"], unique=False)
    op.create_table(
        "peer_province",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "trust_anchor",
        sa.Column("province", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("root_der", sa.LargeBinary(), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("province"),
    )
    op.create_table(
        "partner_offer",
        sa.Column("province", sa.String(length=12), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("province"),
    )
    op.create_table(
        "partner_item",
        sa.Column("province", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("handling_tier", sa.String(length=10), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("modes", sa.JSON(), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("province", "code"),
    )
    op.create_table(
        "partner_delivery",
        sa.Column("child", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("child", "key"),
    )
    op.create_table(
        "identity_check",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("province", sa.String(length=12), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    for table in (
        "identity_check",
        "partner_delivery",
        "partner_item",
        "partner_offer",
        "trust_anchor",
        "peer_province",
    ):
        op.drop_table(table)
    with op.batch_alter_table("case") as batch_op:
        batch_op.drop_index("ix_case_joint_of")
        batch_op.drop_column("joint_of")
        batch_op.drop_column("mode")
    with op.batch_alter_table("service_item") as batch_op:
        batch_op.drop_column("joint_item")
        batch_op.drop_column("partner_modes")
