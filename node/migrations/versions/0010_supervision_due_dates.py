"""supervision due dates: the next day the scan has work for a case, indexed; events by action

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("case_deadline", sa.Column("due_on", sa.Date(), nullable=True))
    # every running clock is due at once: the first scan after the upgrade schedules each case
    op.execute("UPDATE case_deadline SET due_on = accepted_on WHERE deadline IS NOT NULL")
    op.create_index("ix_case_deadline_open_due_on", "case_deadline", ["open", "due_on"], unique=False)
    # the scan's search for refusals without a reason read the whole event log
    op.create_index("ix_case_event_action", "case_event", ["action"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_event_action", table_name="case_event")
    op.drop_index("ix_case_deadline_open_due_on", table_name="case_deadline")
    op.drop_column("case_deadline", "due_on")
