"""bundles, missing materials, promises and post-checks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 06:06:22.868772
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bundle",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("applicant_name", sa.String(length=100), nullable=False),
        sa.Column("applicant_id_number", sa.String(length=32), nullable=False),
        sa.Column("applicant_phone", sa.String(length=32), nullable=False),
        sa.Column("home_division", sa.String(length=12), nullable=False),
        sa.Column("deferred", sa.JSON(), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=True),
        sa.Column("promise", sa.LargeBinary(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "bundle_material",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["bundle.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bundle_material", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bundle_material_bundle_id"), ["bundle_id"], unique=False)

    op.create_table(
        "bundle_part",
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("blocked_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["bundle.id"],
        ),
        sa.PrimaryKeyConstraint("bundle_id", "item_code"),
    )
    with op.batch_alter_table("bundle_part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bundle_part_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_missing_material",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=False),
        sa.Column("supplied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("case_id", "name"),
    )
    with op.batch_alter_table("case_missing_material", schema=None) as batch_op:
        batch_op.create_index("ix_case_missing_material_open", ["supplied_at", "promised_on"], unique=False)

    op.create_table(
        "case_promise",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("replaces", sa.JSON(), nullable=False),
        sa.Column("signed_by", sa.String(length=100), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "post_check",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )
    with op.batch_alter_table("post_check", schema=None) as batch_op:
        batch_op.create_index("ix_post_check_open", ["done_at", "due_on"], unique=False)

    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("notify_promise", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("conclude_with_deferred", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.drop_column("conclude_with_deferred")
        batch_op.drop_column("notify_promise")
        batch_op.drop_column("bundle")

    with op.batch_alter_table("post_check", schema=None) as batch_op:
        batch_op.drop_index("ix_post_check_open")

    op.drop_table("post_check")
    op.drop_table("case_promise")
    with op.batch_alter_table("case_missing_material", schema=None) as batch_op:
        batch_op.drop_index("ix_case_missing_material_open")

    op.drop_table("case_missing_material")
    with op.batch_alter_table("bundle_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bundle_part_case_id"))

    op.drop_table("bundle_part")
    with op.batch_alter_table("bundle_material", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bundle_material_bundle_id"))

    op.drop_table("bundle_material")
    op.drop_table("bundle")
