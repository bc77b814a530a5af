"""The runtime lock: every pin of requirements.txt, the whole closure, each with hashes."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins(text: str) -> dict[str, str]:
    return {re.sub(r"[-_.]+", "-", n).lower(): v for n, v in re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)", text, re.M)}


def test_the_lock_pins_what_requirements_pins_and_hashes_everything() -> None:
    # Given requirements.txt and requirements.lock
    wanted = _pins((ROOT / "requirements.txt").read_text())
    lock = (ROOT / "requirements.lock").read_text()

    # When the lock's pins are read
    pinned = _pins(lock)

    # Then every direct pin, botocore and the format checker and time zones included, is locked at that version
    assert {"botocore", "rfc3339-validator", "tzdata", "boto3"} <= wanted.keys()
    assert {name: pinned.get(name) for name in wanted} == wanted
    # And every locked package carries at least one sha256 hash (pip then refuses anything else)
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 1)[1] if lock.startswith("#") else lock)
    for entry in entries:
        if "==" in entry:
            assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_dev_environment_runs_the_locked_versions() -> None:
    # Given the lock's pins of the runtime packages
    pinned = _pins((ROOT / "requirements.lock").read_text())
    names = ("botocore", "boto3", "rfc3339-validator", "tzdata", "jsonschema")

    # When the installed versions are read
    installed = {name: version(name) for name in names}

    # Then the tests run what ships: the installed runtime packages are the locked ones
    assert installed == {name: pinned[name] for name in names}
