"""Every stage and periodic job, in one place: what runs, on which rows, how often, on which queue.

Both executors read this: the embedded one (`hotline process`, the background thread of `hotline serve`)
and the Celery one (tasks, routes and the scheduler). A stage takes the rows waiting in one state and
moves them on; a job is a function of the app that returns how much it did (0: nothing was due).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotline.audit import anchor_job
from hotline.evidence.reseal import reseal_job
from hotline.evidence.retention import retention_job
from hotline.mailbox import mailbox_job
from hotline.models import UrlState
from hotline.monitor.run import run_due_checks
from hotline.outbox.worker import delivery_job
from hotline.pipeline.capture import capture_stage
from hotline.pipeline.discovery.crawl import discovery_job
from hotline.pipeline.discovery.retention import crawl_retention_job
from hotline.pipeline.fingerprint import attachments_job, fingerprint_stage, rematch_job
from hotline.pipeline.locate import locate_stage
from hotline.pipeline.triage import triage_stage

if TYPE_CHECKING:
    from hotline.app import Hotline

StageFunction = Callable[["Hotline", str, list[int]], None]
JobFunction = Callable[["Hotline"], int]


@dataclass(frozen=True)
class Stage:
    name: str
    waits_in: UrlState  # the rows it takes; it moves each on to the next state (or a final one)
    run: StageFunction  # (app, lease token, ids of the leased rows)
    batch: int  # rows leased at once
    queue: str  # the Celery queue its tasks go to


@dataclass(frozen=True)
class Job:
    name: str  # also the Celery task's function name: an identifier
    run: JobFunction
    every_seconds: float  # how often the Celery scheduler queues it (the embedded loop runs it each round)
    queue: str


STAGES: tuple[Stage, ...] = (
    # Captures stream into the stage's shared worker process and are kept as each finishes, so the next
    # stage need not wait for the batch: the batch is only how many URLs one claim leases.
    Stage("capture", UrlState.NEW, capture_stage, batch=200, queue="capture"),
    Stage("fingerprint", UrlState.CAPTURED, fingerprint_stage, batch=50, queue="fingerprint"),
    Stage("locate", UrlState.FINGERPRINTED, locate_stage, batch=100, queue="locate"),
    # Triage is quick and shares the locate workers.
    Stage("triage", UrlState.LOCATED, triage_stage, batch=200, queue="locate"),
)

JOBS: tuple[Job, ...] = (
    Job("forward", delivery_job, every_seconds=15.0, queue="forward"),
    Job("monitor", run_due_checks, every_seconds=60.0, queue="monitor"),
    # On the capture hosts: they are the ones that write to the evidence store.
    Job("evidence_reseal", reseal_job, every_seconds=60.0, queue="capture"),
    Job("evidence_retention", retention_job, every_seconds=600.0, queue="capture"),
    # The mailbox seals attachments in the evidence store: capture hosts too. It waits
    # HOTLINE_MAILBOX_POLL_SECONDS between polls itself, however often it is called.
    Job("mailbox", mailbox_job, every_seconds=30.0, queue="capture"),
    Job("attachments", attachments_job, every_seconds=60.0, queue="fingerprint"),
    # Anchors the audit chain when HOTLINE_AUDIT_ANCHOR_SECONDS have passed (it decides; cheap otherwise).
    Job("audit_anchor", anchor_job, every_seconds=60.0, queue="forward"),
    # Finishes re-matching media against a big hash list imported since (hotline.pipeline.fingerprint).
    Job("rematch", rematch_job, every_seconds=30.0, queue="fingerprint"),
    # Proactive discovery (off unless HOTLINE_DISCOVERY_ENABLED): starts crawls from confirmed URLs and runs
    # one round of one crawl per call; on its own queue, so crawls never hold up reported URLs' captures.
    Job("discovery", discovery_job, every_seconds=15.0, queue="discovery"),
    Job("discovery_retention", crawl_retention_job, every_seconds=3600.0, queue="discovery"),
)

STAGE_BY_NAME = {stage.name: stage for stage in STAGES}
JOB_BY_NAME = {job.name: job for job in JOBS}
# The queues a deployment has, in the order the pipeline uses them.
QUEUES: tuple[str, ...] = tuple(dict.fromkeys([stage.queue for stage in STAGES] + [job.queue for job in JOBS]))
