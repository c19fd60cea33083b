"""`python -m hotline.synthnet`: run the synthetic internet until Ctrl-C and print how to point at it."""

from __future__ import annotations

import shlex
import signal
import threading

from hotline.synthnet.net import SyntheticInternet


def main() -> None:
    finished = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: finished.set())
    signal.signal(signal.SIGTERM, lambda *_: finished.set())
    with SyntheticInternet() as net:
        for name, value in net.env().items():
            print(f"export {name}={shlex.quote(value)}")
        print("# default sites:")
        for name, url in net.default_urls().items():
            print(f"#   {name:<38} {url}")
        print("# Ctrl-C stops the synthetic internet", flush=True)
        finished.wait()


if __name__ == "__main__":
    main()
