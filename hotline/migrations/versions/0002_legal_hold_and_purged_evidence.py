"""legal hold on reports, purged evidence on captures

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 08:27:59.156460
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hotline.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLD_BY_FK = "fk_report_legal_hold_by_id_user"


def upgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", hotline.models.UtcDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("report", schema=None) as batch_op:
        # Existing reports are not on hold.
        batch_op.add_column(sa.Column("legal_hold", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("legal_hold_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("legal_hold_at", hotline.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("legal_hold_reason", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_report_legal_hold"), ["legal_hold"], unique=False)
        batch_op.create_foreign_key(HOLD_BY_FK, "user", ["legal_hold_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_constraint(HOLD_BY_FK, type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_report_legal_hold"))
        batch_op.drop_column("legal_hold_reason")
        batch_op.drop_column("legal_hold_at")
        batch_op.drop_column("legal_hold_by_id")
        batch_op.drop_column("legal_hold")

    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
