"""`make run`: moto, tables and queues, the API on 127.0.0.1:$PORT, workers and schedules."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from local.environment import point_at, start_moto

# Where a running `make run` says where it is (read by `make demo`, which writes
# backdated data straight into the same moto); removed when it stops.
RUN_STATE_FILE = Path(__file__).resolve().parent.parent / ".local-run.json"


def main() -> int:
    started = time.monotonic()
    moto, endpoint = start_moto(int(os.environ.get("MOTO_PORT", "0")))
    point_at(endpoint)
    from local.bootstrap import bootstrap
    from local.server import create_server, local_config
    from local.workers import Workers

    bootstrap()
    from app import app

    port = int(os.environ.get("PORT", "8000"))
    server = create_server(app, local_config(), "127.0.0.1", port)
    workers = Workers(app)
    workers.start()
    from local.ws_bridge import Bridge

    bridge = Bridge(app, "127.0.0.1", int(os.environ.get("WS_PORT", port + 1))).start()
    http = threading.Thread(target=server.serve_forever, daemon=True, name="http")
    http.start()
    RUN_STATE_FILE.write_text(json.dumps({"api": f"http://127.0.0.1:{port}", "moto": endpoint, "pid": os.getpid()}))
    print(f"moto (AWS APIs) on {endpoint}", flush=True)
    print(f"WebSocket on ws://127.0.0.1:{bridge.port}/  (?ticket=... or ?token=<JWT>)", flush=True)
    print(f"API on http://127.0.0.1:{port}  (healthy after {time.monotonic() - started:.1f}s; Ctrl-C stops)",
          flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    print("stopping...", flush=True)
    RUN_STATE_FILE.unlink(missing_ok=True)
    bridge.stop()
    workers.stop()
    server.shutdown()
    moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
