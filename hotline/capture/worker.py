"""The capture worker process (`hotline capture-worker`): JSON lines in, JSON lines out.

Protocol (UTF-8, one JSON object per line):

* stdin, first line: ``{"options": CaptureOptions}``; then one ``{"job": CaptureJob}`` per line;
  end of input starts the batch. Secrets (the master key) come this way, never in argv or env.
  With ``"stream": true`` in the first line the worker stays up: each job starts as soon as its line
  arrives, and end of input ends the worker once the captures under way are written (a shared worker
  for batch after batch, see client.SharedWorker; its jobs may not name a proxy of their own).
* stdout: one ``{"result": CaptureResult}`` per finished capture, as soon as its evidence is written
  (by the recorder child process, see recorder.py), then ``{"done": true, "count": N}``. Logs go to
  stderr. Exit status 0 when the batch ran, 2 on bad input.

The process holds no database credentials: it only reaches the network (through the guard) and the
evidence directory.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from collections.abc import Iterator
from typing import IO

from pydantic import ValidationError

from hotline.capture.models import CaptureJob, CaptureOptions, CaptureResult


def read_options(lines: IO[str]) -> tuple[CaptureOptions, bool]:
    """The first line: the options, and whether jobs stream in (the worker stays up)."""
    for line in iter(lines.readline, ""):
        if not line.strip():
            continue
        message = json.loads(line)
        if "options" not in message:
            raise ValueError(f"the first line must hold the options, not {sorted(message)}")
        return CaptureOptions.model_validate_json(json.dumps(message["options"])), bool(message.get("stream"))
    raise ValueError("no options line before end of input")


def iter_jobs(lines: IO[str]) -> Iterator[CaptureJob]:
    """The job lines that follow, one at a time as they arrive, until end of input."""
    for line in iter(lines.readline, ""):
        if not line.strip():
            continue
        message = json.loads(line)
        if "job" not in message:
            raise ValueError(f"unknown message: {sorted(message)}")
        yield CaptureJob.model_validate(message["job"])


class JobFeed:
    """Jobs read from a stream by a thread of their own, handed out one at a time (None: end of input).

    A bad line ends the feed (the worker's client then sees its captures unanswered and says why)."""

    def __init__(self, lines: IO[str]) -> None:
        self._jobs: queue.Queue[CaptureJob | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(lines,), name="capture-job-feed", daemon=True)
        self._reader.start()

    def _read(self, lines: IO[str]) -> None:
        try:
            for job in iter_jobs(lines):
                self._jobs.put(job)
        except (ValueError, ValidationError) as exc:
            print(f"capture-worker: bad input: {exc}".splitlines()[0], file=sys.stderr)
        finally:
            self._jobs.put(None)

    def next_job(self) -> CaptureJob | None:
        """Blocks until the next job arrives (call it from a thread, not the event loop)."""
        return self._jobs.get()


def result_line(result: CaptureResult) -> str:
    return json.dumps({"result": result.model_dump(mode="json")}) + "\n"


def main() -> int:
    # stdout (fd 1) is the protocol channel, written by the recorder process and, last, by us.
    # Python-level prints from libraries go to stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr
    try:
        options, stream = read_options(sys.stdin)
        jobs: list[CaptureJob] | JobFeed = JobFeed(sys.stdin) if stream else list(iter_jobs(sys.stdin))
    except (ValueError, ValidationError) as exc:
        print(f"capture-worker: bad input: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    from hotline.logs import configure_logging

    configure_logging(options.log_level, options.log_format)
    from hotline.capture.crawl import run_crawl  # imports Scrapy/Twisted only in the worker

    count = run_crawl(jobs, options) if stream or jobs else 0
    channel.write(json.dumps({"done": True, "count": count}) + "\n")
    channel.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
