"""The runtime lock: every pin of requirements.txt, the whole closure, each with hashes."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins(text: str) -> dict[str, str]:
    return {re.sub(r"[-_.]+", "-", n).lower(): v for n, v in re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)", text, re.M)}


def test_the_lock_pins_what_requirements_pins_and_hashes_everything() -> None:
    wanted = _pins((ROOT / "requirements.txt").read_text())
    lock = (ROOT / "requirements.lock").read_text()
    pinned = _pins(lock)
    # Every direct pin, botocore and the format checker and time zones included, is locked at that version
    assert {"botocore", "rfc3339-validator", "tzdata", "boto3"} <= wanted.keys()
    assert {name: pinned.get(name) for name in wanted} == wanted
    # And every locked package carries at least one sha256 hash (pip then refuses anything else)
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 1)[1] if lock.startswith("#") else lock)
    for entry in entries:
        if "==" in entry:
            assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_dev_environment_runs_the_locked_versions() -> None:
    # The tests run what ships: the installed runtime packages are the locked ones
    pinned = _pins((ROOT / "requirements.lock").read_text())
    assert {name: version(name) for name in ("botocore", "boto3", "rfc3339-validator", "tzdata", "jsonschema")} == {
        name: pinned[name] for name in ("botocore", "boto3", "rfc3339-validator", "tzdata", "jsonschema")}
