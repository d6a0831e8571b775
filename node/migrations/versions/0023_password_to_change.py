"""Staff accounts: a password a 管理员 set (a new account, a reset) is to be changed by its holder
before anything else, so that the 管理员 cannot act as them

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 20:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_account") as batch:
        batch.add_column(
            sa.Column("password_to_change", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_account") as batch:
        batch.drop_column("password_to_change")
