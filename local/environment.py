"""Environment for running against the embedded moto server (local runs and tests).

Call :func:`point_at` before importing anything from ``chalicelib``: settings and
PynamoDB models read the environment at import time.
"""

from __future__ import annotations

import logging
import os

from moto.server import ThreadedMotoServer

REGION = "ap-southeast-1"


def start_moto(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    """Start moto on loopback; returns the server and its endpoint URL."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


def point_at(endpoint: str, stage: str = "local") -> None:
    """Send every AWS SDK call to ``endpoint`` with fake credentials and one region."""
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "STAGE": stage,
        "POWERTOOLS_SERVICE_NAME": "weitao",
        "POWERTOOLS_METRICS_NAMESPACE": "weitao",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    })
    os.environ.setdefault("AUTH_MODE", "hs256")
