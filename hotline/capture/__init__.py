"""Isolated capture: a Scrapy worker process with an SSRF guard, limits and encrypted WARC evidence.

Use ``run_captures(jobs, options)`` from ``hotline.capture.client``; the worker entry point is
``hotline.capture.worker.main``. Importing this package does not import Scrapy or Twisted.
"""

from hotline.capture.models import CaptureJob, CaptureOptions, CaptureResult, Hop, Resource

__all__ = ["CaptureJob", "CaptureOptions", "CaptureResult", "Hop", "Resource"]
