"""Wrong passwords counted by the username typed, an account's or not: a name that is no account
locks as an account does, so the lock-out does not tell which names exist

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    # staff_account.failures and .locked_until stay (unused): a lock under way at the upgrade ends
    op.create_table(
        "staff_login_failure",
        sa.Column("username", sa.String(32), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", _TZ, nullable=False),
        sa.Column("locked_until", _TZ, nullable=True),
    )
    op.create_index("ix_staff_login_failure_last_failed_at", "staff_login_failure", ["last_failed_at"])


def downgrade() -> None:
    op.drop_index("ix_staff_login_failure_last_failed_at", "staff_login_failure")
    op.drop_table("staff_login_failure")
