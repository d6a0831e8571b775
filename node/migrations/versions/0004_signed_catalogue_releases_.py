"""signed catalogue releases, implementation lists, case release version

Existing rows get defaults; the next release replaces every item with its full elements.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:13:25.980767
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_delivery",
        sa.Column("peer", sa.String(length=12), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("peer"),
    )
    op.create_table(
        "catalog_part",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("base_version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", "base_version", "part"),
    )
    op.create_table(
        "item_claim",
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("window_address", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("opening_hours", sa.String(length=200), nullable=False),
        sa.Column("local_notes", sa.Text(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("item_code"),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalog_version", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("catalog_release", schema=None) as batch_op:
        batch_op.add_column(sa.Column("province", sa.String(length=12), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("algorithm", sa.String(length=24), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("signature", sa.LargeBinary(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(sa.Column("signer_chain_pem", sa.Text(), nullable=False, server_default=""))

    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basic_code", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("implementation_code", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("handling_code", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("level", sa.String(length=10), nullable=False, server_default="主项"))
        batch_op.add_column(sa.Column("parent_code", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("implementing_body", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("conditions", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("fees", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("result_type", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("result_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("online_level", sa.String(length=10), nullable=False, server_default="窗口办理")
        )
        batch_op.add_column(
            sa.Column("cross_province", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("max_visits", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.drop_column("max_visits")
        batch_op.drop_column("cross_province")
        batch_op.drop_column("online_level")
        batch_op.drop_column("result_name")
        batch_op.drop_column("result_type")
        batch_op.drop_column("fees")
        batch_op.drop_column("conditions")
        batch_op.drop_column("implementing_body")
        batch_op.drop_column("parent_code")
        batch_op.drop_column("level")
        batch_op.drop_column("handling_code")
        batch_op.drop_column("implementation_code")
        batch_op.drop_column("basic_code")

    with op.batch_alter_table("catalog_release", schema=None) as batch_op:
        batch_op.drop_column("signer_chain_pem")
        batch_op.drop_column("signature")
        batch_op.drop_column("algorithm")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("province")

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("catalog_version")

    op.drop_table("item_claim")
    op.drop_table("catalog_part")
    op.drop_table("catalog_delivery")
