"""pki: invites, issued certificates, revocation lists, seals, sealed results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:44:33.103882
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enrollment_invite",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "issued_certificate",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("serial"),
    )
    with op.batch_alter_table("issued_certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issued_certificate_code"), ["code"], unique=False)

    op.create_table(
        "revocation_list",
        sa.Column("issuer", sa.String(length=12), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer"),
    )
    op.create_table(
        "seal",
        sa.Column("seal_id", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("algorithm", sa.String(length=24), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("chain_pem", sa.Text(), nullable=False),
        sa.Column("picture", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seal_id"),
    )
    with op.batch_alter_table("seal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seal_department"), ["department"], unique=False)

    op.create_table(
        "sealed_result",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("seal_id", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("sealed_result")
    with op.batch_alter_table("seal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seal_department"))

    op.drop_table("seal")
    op.drop_table("revocation_list")
    with op.batch_alter_table("issued_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_certificate_code"))

    op.drop_table("issued_certificate")
    op.drop_table("enrollment_invite")
