"""supervision cards, ratings, appeals, rectification, time limits, statistics rollups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:32:23.588933
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("service_item", sa.Column("step_days", sa.JSON(), nullable=True))
    op.create_table(
        "stats_rollup",
        sa.Column("child", sa.String(length=12), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("child"),
    )
    op.create_table(
        "case_arrival",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_arrival_checked", "case_arrival", ["checked"], unique=False)
    op.create_table(
        "supervision_card",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("handler", sa.String(length=12), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervision_card_case_id", "supervision_card", ["case_id"], unique=False)
    op.create_index("ix_supervision_card_handler", "supervision_card", ["handler"], unique=False)
    op.create_table(
        "case_deadline",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("promised_days", sa.Integer(), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("concluded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_deadline_open_deadline", "case_deadline", ["open", "deadline"], unique=False)
    op.create_table(
        "rating",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("handler", sa.String(length=12), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "rating_appeal",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("handler", sa.String(length=12), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "rectification_task",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("return_visit", sa.Text(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_rectification_task_deadline", "rectification_task", ["deadline"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rectification_task_deadline", table_name="rectification_task")
    op.drop_table("rectification_task")
    op.drop_table("rating_appeal")
    op.drop_table("rating")
    op.drop_index("ix_case_deadline_open_deadline", table_name="case_deadline")
    op.drop_table("case_deadline")
    op.drop_index("ix_supervision_card_handler", table_name="supervision_card")
    op.drop_index("ix_supervision_card_case_id", table_name="supervision_card")
    op.drop_table("supervision_card")
    op.drop_index("ix_case_arrival_checked", table_name="case_arrival")
    op.drop_table("case_arrival")
    op.drop_table("stats_rollup")
    with op.batch_alter_table("service_item") as batch_op:
        batch_op.drop_column("step_days")
