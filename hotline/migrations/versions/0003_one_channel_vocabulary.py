"""one channel vocabulary: forwards name the directory's channels (partner-api, email, x-arf, web-form)

The delivery worker had names of its own (xarf-email, xarf-http, manual); X-ARF now goes by e-mail or
HTTP as its address says, and "manual" was a forward a person sends (a web form, or no address yet).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE forward SET channel = 'x-arf' WHERE channel IN ('xarf-email', 'xarf-http')")
    op.execute("UPDATE forward SET channel = 'web-form' WHERE channel = 'manual'")


def downgrade() -> None:
    op.execute("UPDATE forward SET channel = 'xarf-http' WHERE channel = 'x-arf' AND address LIKE '%://%'")
    op.execute("UPDATE forward SET channel = 'xarf-email' WHERE channel = 'x-arf'")
    op.execute("UPDATE forward SET channel = 'manual' WHERE channel = 'web-form'")
