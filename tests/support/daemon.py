"""What the real servers the tests run (Squid, Dovecot) share: a process in its own session, a scratch
directory, and a context manager that starts it and always cleans up."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Self


class ManagedDaemon:
    directory: Path
    _process: subprocess.Popen[bytes] | None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self, grace_seconds: float = 10.0) -> None:
        """SIGTERM, wait; SIGKILL its process group if it is still there after `grace_seconds` (it runs
        in its own session, so helpers it forked go too). Files stay for reading."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace_seconds)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
