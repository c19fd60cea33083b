"""discovery: jobs per confirmed URL, their crawl frontier and crawl records; reports name their origin

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hotline.models import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_report_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_report_origin_report_id_report", "report", ["origin_report_id"], ["id"])
        batch_op.create_index("ix_report_origin_report_id", ["origin_report_id"], unique=False)

    op.create_table(
        "discovery_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reported_url_id", sa.Integer(), nullable=False),
        sa.Column("origin_report_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("seed_url", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("trigger", sa.String(length=120), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.Column("max_depth", sa.Integer(), nullable=False),
        sa.Column("max_pages", sa.Integer(), nullable=False),
        sa.Column("max_bytes", sa.BigInteger(), nullable=False),
        sa.Column("max_seconds", sa.Double(), nullable=False),
        sa.Column("per_host_rate", sa.Double(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("round_ended_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["reported_url_id"], ["reported_url.id"],
                                name="fk_discovery_job_reported_url_id_reported_url"),
        sa.ForeignKeyConstraint(["origin_report_id"], ["report.id"], name="fk_discovery_job_origin_report_id_report"),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], name="fk_discovery_job_report_id_report"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_discovery_job_reported_url_id", "discovery_job", ["reported_url_id"], unique=False)
    op.create_index("ix_discovery_job_state", "discovery_job", ["state"], unique=False)

    op.create_table(
        "discovery_frontier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("referer", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["discovery_job.id"], name="fk_discovery_frontier_job_id_discovery_job",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "url", name="uq_discovery_frontier_job_url"),
    )
    op.create_index("ix_discovery_frontier_next", "discovery_frontier", ["job_id", "state", "depth"], unique=False)

    op.create_table(
        "crawl_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("page_sha256", sa.String(length=64), nullable=True),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("warc_path", sa.Text(), nullable=True),
        sa.Column("blobs", sa.JSON(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("reported_url_id", sa.Integer(), nullable=True),
        sa.Column("fetched_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["discovery_job.id"], name="fk_crawl_record_job_id_discovery_job",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reported_url_id"], ["reported_url.id"],
                                name="fk_crawl_record_reported_url_id_reported_url"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_crawl_record_job_id", "crawl_record", ["job_id"], unique=False)
    op.create_index("ix_crawl_record_matched", "crawl_record", ["matched"], unique=False)
    op.create_index("ix_crawl_record_fetched_at", "crawl_record", ["fetched_at"], unique=False)


def downgrade() -> None:
    op.drop_table("crawl_record")
    op.drop_table("discovery_frontier")
    op.drop_table("discovery_job")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index("ix_report_origin_report_id")
        batch_op.drop_constraint("fk_report_origin_report_id_report", type_="foreignkey")
        batch_op.drop_column("origin_report_id")
