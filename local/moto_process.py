"""``python -m local.moto_process PORT``: a moto server in a process of its own, patched as ``make run``'s.

The benches measure the store apart from the code they drive, so moto runs in its
own interpreter there; it gets the same fixes as the embedded one
(:func:`local.environment.patch_moto`). Stops on SIGTERM.

On SIGUSR1 it collects its garbage, freezes what is alive and prints ``settled``: a
bench does this before each timed run, so that no run meets a full collection of the
items the runs before it wrote (moto holds the database as Python objects, and a full
collection walks them all: seconds, at a moment neither run chose; DynamoDB has none).
"""

from __future__ import annotations

import gc
import signal
import sys
import threading

from local.environment import start_moto


def main(argv: list[str]) -> int:
    server, endpoint = start_moto(int(argv[0]) if argv else 0)
    print(endpoint, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: _settle())
    stop.wait()
    server.stop()
    return 0


def _settle() -> None:
    gc.collect()
    gc.freeze()
    print("settled", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
