"""security hardening: server-side sessions, personal API tokens, shared login throttles, sealed secrets

Adds user_session, user_token, login_throttle and sealed_secret; user.totp_last_step and
password_changed_at; widens user.totp_secret and partner.outbound_api_key to hold sealed values.
Sealing the secrets already stored needs the master key, which a migration does not have: `hotline
init` does it right after upgrading (hotline.vault.seal_plain_columns).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hotline.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = hotline.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table("sealed_secret"):  # kept by a downgrade: see there
        op.create_table(
            "sealed_secret",
            sa.Column("name", sa.String(length=64), nullable=False),
            sa.Column("sealed", sa.LargeBinary(), nullable=False),
            sa.Column("created_at", WHEN, nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", WHEN, nullable=False),
        sa.Column("wait_until", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_seen_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("revoked_why", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)
    op.create_table(
        "user_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_used_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_user_token_user_id"), "user_token", ["user_id"], unique=False)
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("totp_secret", existing_type=sa.String(length=64), type_=sa.Text(),
                              existing_nullable=True)
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", WHEN, nullable=True))
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.alter_column("outbound_api_key", existing_type=sa.String(length=200), type_=sa.Text(),
                              existing_nullable=True)


def downgrade() -> None:
    # Kept on purpose: the table sealed_secret (the audit chain's key and the key of sealed columns) and
    # the wider columns holding sealed values. Dropped, the audit log could never be verified again and
    # every sealed secret would be lost; an older version simply ignores them, and upgrading again finds
    # them as they were.
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("totp_last_step")
    op.drop_index(op.f("ix_user_token_user_id"), table_name="user_token")
    op.drop_table("user_token")
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
    op.drop_table("login_throttle")
