"""The recorder: a child process of the capture worker that seals and writes evidence.

The crawler hands over each finished capture (result, HTTP exchanges, media bodies) through a queue
and goes on with the network; the recorder writes the blobs and the WARC and sends the result line
to the worker's output. Keeping this CPU and file work in its own process keeps it off the crawler's
event loop (and its GIL), so a slow disk or a big WARC never delays downloads and their time limits.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any

from hotline.capture.record import CaptureRecord, write_evidence
from hotline.evidence.store import EvidenceStore


def _record_one(record: CaptureRecord, store: EvidenceStore) -> Any:
    try:
        return write_evidence(record, store)
    except OSError as exc:  # the capture happened; say why its evidence is missing
        result = record.result
        result.outcome, result.reason = "failed", f"evidence could not be written: {exc}"
        return result


def _recorder_main(queue: Any, written: Any, evidence_dir: Path, master_key: bytes) -> None:
    from hotline.capture.worker import result_line

    # Result lines go to the worker's stdout (inherited as fd 1); anything else printed goes to stderr.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    store = EvidenceStore(evidence_dir, master_key)
    while (record := queue.get()) is not None:
        channel.write(result_line(_record_one(record, store)))
        with written.get_lock():
            written.value += record.size()
    channel.flush()


def _start_method() -> str:
    """Fork while this process is still single-threaded (before the reactor starts): the child gets the
    imported modules for free, which saves about a second of start-up per batch. Otherwise spawn."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


class Recorder:
    """submit() hands a capture over without waiting; close() waits until all are written."""

    def __init__(self, evidence_dir: Path, master_key: bytes) -> None:
        context: Any = multiprocessing.get_context(_start_method())  # typeshed lacks .Process on it
        self._queue = context.Queue()  # put() never blocks the crawler: a feeder thread writes the pipe
        self._written = context.Value("q", 0)  # bytes of records written so far, counted by the child
        self._submitted_bytes = 0
        self._process = context.Process(
            target=_recorder_main,
            args=(self._queue, self._written, evidence_dir, master_key),
            name="hotline-capture-recorder",
            daemon=True,
        )
        self._process.start()
        self.submitted = 0

    def submit(self, record: CaptureRecord) -> None:
        self.submitted += 1
        self._submitted_bytes += record.size()
        self._queue.put(record)

    def backlog_bytes(self) -> int:
        """Bytes handed over but not yet written: the crawler starts no new capture while this is high."""
        return self._submitted_bytes - int(self._written.value)

    def close(self) -> int:
        """Wait for every submitted capture to be written; returns the recorder's exit code."""
        self._queue.put(None)
        self._queue.close()
        self._queue.join_thread()
        self._process.join()
        return self._process.exitcode or 0
