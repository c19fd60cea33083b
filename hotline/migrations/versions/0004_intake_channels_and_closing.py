"""every way a report arrives, and closing invalid ones

- report: who recorded a staff report and through whom it came (via); why, when and by whom it was
  closed as not valid, and the earlier report a duplicate repeats. The double-submit key of reports
  without a partner (the public form, the workspace) becomes unique through a partial index.
- capture: an attachment capture belongs to a report instead of a URL (media without a URL).
- assessment: an attachment's assessment has no URL.
- mailbox_message: each message taken from the hotline's mailbox, unique by (mailbox, UIDVALIDITY, UID)
  and by Message-ID.

Report.source gains mailbox, phone, email, letter, helpline and other (a non-native enum: a VARCHAR, so no
DDL); a downgrade turns them into cli.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 10:05:33
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hotline.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWN_KEY_INDEX = "uq_report_idempotency_own"
WITHOUT_PARTNER = sa.text("partner_id IS NULL")
NEW_SOURCES = ("MAILBOX", "PHONE", "EMAIL", "LETTER", "HELPLINE", "OTHER")


def upgrade() -> None:
    op.create_table(
        "mailbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=300), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(length=500), nullable=True),
        sa.Column("taken_at", hotline.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mailbox_message_uid"),
        sa.UniqueConstraint("message_id"),
        sa.UniqueConstraint("report_id"),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.alter_column("reported_url_id", existing_type=sa.Integer(), nullable=True)

    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch_op.alter_column("reported_url_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f("ix_capture_report_id"), ["report_id"], unique=False)
        batch_op.create_foreign_key("fk_capture_report_id_report", "report", ["report_id"], ["id"])
        batch_op.create_check_constraint("ck_capture_url_or_report", "(reported_url_id IS NULL) <> (report_id IS NULL)")

    # Copies of one form that got in before the key was enforced keep their reports; only the first keeps the key.
    op.execute(
        "UPDATE report SET idempotency_key = NULL WHERE partner_id IS NULL AND idempotency_key IS NOT NULL "
        "AND id NOT IN (SELECT first_id FROM (SELECT MIN(id) AS first_id FROM report WHERE partner_id IS NULL "
        "AND idempotency_key IS NOT NULL GROUP BY idempotency_key) AS firsts)"
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("via", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("closed_at", hotline.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("close_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_report_closed_reason"), ["closed_reason"], unique=False)
        batch_op.create_index(OWN_KEY_INDEX, ["idempotency_key"], unique=True,
                              sqlite_where=WITHOUT_PARTNER, postgresql_where=WITHOUT_PARTNER)
        batch_op.create_foreign_key("fk_report_recorded_by_id_user", "user", ["recorded_by_id"], ["id"])
        batch_op.create_foreign_key("fk_report_duplicate_of_id_report", "report", ["duplicate_of_id"], ["id"])
        batch_op.create_foreign_key("fk_report_closed_by_id_user", "user", ["closed_by_id"], ["id"])


def downgrade() -> None:
    # The older schema has no place for media without a URL: attachment captures and what hangs on them go.
    attachment_media = "SELECT media_item.id FROM media_item JOIN capture ON capture.id = media_item.capture_id " \
                       "WHERE capture.report_id IS NOT NULL"
    op.execute("DELETE FROM assessment WHERE reported_url_id IS NULL")
    op.execute(f"DELETE FROM match WHERE matched_media_item_id IN ({attachment_media}) "
               f"OR media_item_id IN ({attachment_media})")
    op.execute(f"DELETE FROM fingerprint WHERE media_item_id IN ({attachment_media})")
    op.execute("DELETE FROM media_item WHERE capture_id IN (SELECT id FROM capture WHERE report_id IS NOT NULL)")
    op.execute("DELETE FROM capture WHERE report_id IS NOT NULL")
    op.execute("UPDATE report SET source = 'CLI' WHERE source IN ({})".format(
        ", ".join(f"'{name}'" for name in NEW_SOURCES)))

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_constraint("fk_report_closed_by_id_user", type_="foreignkey")
        batch_op.drop_constraint("fk_report_duplicate_of_id_report", type_="foreignkey")
        batch_op.drop_constraint("fk_report_recorded_by_id_user", type_="foreignkey")
        batch_op.drop_index(OWN_KEY_INDEX, sqlite_where=WITHOUT_PARTNER, postgresql_where=WITHOUT_PARTNER)
        batch_op.drop_index(batch_op.f("ix_report_closed_reason"))
        batch_op.drop_column("duplicate_of_id")
        batch_op.drop_column("close_note")
        batch_op.drop_column("closed_by_id")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("via")
        batch_op.drop_column("recorded_by_id")

    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_constraint("ck_capture_url_or_report", type_="check")
        batch_op.drop_constraint("fk_capture_report_id_report", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_capture_report_id"))
        batch_op.alter_column("reported_url_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("report_id")

    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.alter_column("reported_url_id", existing_type=sa.Integer(), nullable=False)

    op.drop_table("mailbox_message")
