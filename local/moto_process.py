"""``python -m local.moto_process PORT``: a moto server in a process of its own, patched as ``make run``'s.

The benches measure the store apart from the code they drive, so moto runs in its
own interpreter there; it gets the same fixes as the embedded one
(:func:`local.environment.patch_moto`). Stops on SIGTERM.
"""

from __future__ import annotations

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
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
