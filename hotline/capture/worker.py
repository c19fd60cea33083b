"""The capture worker process (`hotline capture-worker`): JSON lines in, JSON lines out.

Protocol (UTF-8, one JSON object per line):

* stdin, first line: ``{"options": CaptureOptions}``; then one ``{"job": CaptureJob}`` per line;
  end of input starts the batch. Secrets (the master key) come this way, never in argv or env.
* stdout: one ``{"result": CaptureResult}`` per finished capture, as soon as its evidence is written
  (by the recorder child process, see recorder.py), then ``{"done": true, "count": N}``. Logs go to
  stderr. Exit status 0 when the batch ran, 2 on bad input.

The process holds no database credentials: it only reaches the network (through the guard) and the
evidence directory.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO

from pydantic import ValidationError

from hotline.capture.models import CaptureJob, CaptureOptions, CaptureResult


def read_batch(lines: IO[str]) -> tuple[CaptureOptions, list[CaptureJob]]:
    options: CaptureOptions | None = None
    jobs: list[CaptureJob] = []
    for line in lines:
        if not line.strip():
            continue
        message = json.loads(line)
        if "options" in message:
            options = CaptureOptions.model_validate_json(json.dumps(message["options"]))
        elif "job" in message:
            jobs.append(CaptureJob.model_validate(message["job"]))
        else:
            raise ValueError(f"unknown message: {sorted(message)}")
    if options is None:
        raise ValueError("no options line before end of input")
    return options, jobs


def result_line(result: CaptureResult) -> str:
    return json.dumps({"result": result.model_dump(mode="json")}) + "\n"


def main() -> int:
    # stdout (fd 1) is the protocol channel, written by the recorder process and, last, by us.
    # Python-level prints from libraries go to stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr
    try:
        options, jobs = read_batch(sys.stdin)
    except (ValueError, ValidationError) as exc:
        print(f"capture-worker: bad input: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    from hotline.logs import configure_logging

    configure_logging(options.log_level, options.log_format)
    from hotline.capture.crawl import run_crawl  # imports Scrapy/Twisted only in the worker

    count = run_crawl(jobs, options) if jobs else 0
    channel.write(json.dumps({"done": True, "count": count}) + "\n")
    channel.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
