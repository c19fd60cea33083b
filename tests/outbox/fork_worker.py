"""Starts `hotline forward --until-idle` processes quickly for the SIGKILL test.

Importing the CLI takes over a second on a busy machine; fifty of those would not fit the test's time
budget. This helper imports it once and forks a fresh process per run: each child is a separate OS
process running the real command (`cli.main()` with argv `hotline forward --until-idle`), with its
own database connections, and is killed with SIGKILL by the test.

Protocol on stdin/stdout, one line each: "run" -> "<pid>"; "wait <pid>" -> "<exit status>".
"""

from __future__ import annotations

import os
import sys

import cli
import forwarders.partner  # noqa: F401
import hotline.commands.forward
import hotline.outbox  # noqa: F401


def _child(argv: list[str]) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.argv = ["hotline", *argv]
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os._exit(code)


def main() -> None:
    argv = sys.argv[1:] or ["forward", "--until-idle"]
    for line in sys.stdin:
        command = line.split()
        if command == ["run"]:
            pid = os.fork()
            if pid == 0:
                _child(argv)
            print(pid, flush=True)
        elif len(command) == 2 and command[0] == "wait":
            _, status = os.waitpid(int(command[1]), 0)
            print(status, flush=True)


if __name__ == "__main__":
    main()
