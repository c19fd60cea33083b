"""captures say which engine made them (scrapy or browser) and the sha256 of a browser's screenshot

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        # Every capture before this version was Scrapy's.
        batch_op.add_column(sa.Column("engine", sa.String(length=16), server_default="scrapy", nullable=False))
        batch_op.add_column(sa.Column("screenshot_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_column("screenshot_sha256")
        batch_op.drop_column("engine")
