"""The Lambda zip `make package` builds: the locked runtime closure, nothing else, and it works."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT, Built

DEV_ONLY = ("moto", "pytest", "hypothesis", "schemathesis", "cfnlint", "samtranslator", "piptools", "ruff", "mypy")


def locked() -> dict[str, str]:
    """requirements.lock: normalised name -> version."""
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", (ROOT / "requirements.lock").read_text(), re.M)
    return {re.sub(r"[-_.]+", "_", name).lower(): version for name, version in pins}


@pytest.fixture(scope="module")
def shipped(built: Built) -> zipfile.ZipFile:
    return zipfile.ZipFile(built.out / "deployment.zip")


def test_the_zip_holds_exactly_the_locked_versions(shipped: zipfile.ZipFile) -> None:
    # Given the packages the zip ships (their dist-info folders)
    found = {}
    for name in shipped.namelist():
        match = re.match(r"^([^/]+)-([^-/]+)\.dist-info/METADATA$", name)
        if match:
            found[re.sub(r"[-_.]+", "_", match[1]).lower()] = match[2]
    # Then they are the lock's closure, version for version (botocore included), and no build or test tool
    assert found == locked()
    assert found["botocore"] == locked()["botocore"]
    assert not [n for n in shipped.namelist() if n.split("/")[0] in DEV_ONLY]


def test_the_zip_ships_the_code_its_schemas_the_date_time_checker_and_the_time_zones(shipped: zipfile.ZipFile) -> None:
    names = set(shipped.namelist())
    assert {"app.py", "chalicelib/__init__.py", "chalice/app.py", "rfc3339_validator.py",
            "tzdata/zoneinfo/Asia/Shanghai"} <= names
    schemas = {p.relative_to(ROOT / "schemas").as_posix() for p in (ROOT / "schemas").rglob("*.json")}
    assert {f"chalicelib/schemas/{s}" for s in schemas} <= names


def test_the_unzipped_code_checks_date_times_and_knows_asia_shanghai(shipped: zipfile.ZipFile,
                                                                    tmp_path: Path) -> None:
    # Given the zip's jsonschema (with what it imports) and tzdata unpacked alone, as in Lambda's /var/task
    # (not this machine's site-packages; botocore, most of the zip, is left packed to keep this fast)
    wanted = ("jsonschema", "jsonschema_specifications", "referencing", "rpds", "attr", "attrs",
              "typing_extensions.py", "rfc3339_validator.py", "six.py", "tzdata")
    shipped.extractall(tmp_path, [n for n in shipped.namelist() if n.split("/")[0] in wanted])
    probe = (
        "import sys; sys.path[:0] = [sys.argv[1]]\n"
        "import jsonschema, zoneinfo, tzdata\n"
        "assert jsonschema.__file__.startswith(sys.argv[1]), jsonschema.__file__\n"
        "zoneinfo.reset_tzpath([])  # no system tz database: only the shipped tzdata\n"
        "print(zoneinfo.ZoneInfo('Asia/Shanghai').key)\n"
        "checker = jsonschema.Draft202012Validator.FORMAT_CHECKER\n"
        "print(checker.conforms('2024-05-01T20:00:00+08:00', 'date-time'), checker.conforms('tomorrow', 'date-time'))\n"
    )
    # When it loads jsonschema and the zone the platform's calendar is in
    result = subprocess.run([sys.executable, "-S", "-c", probe, str(tmp_path)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    # Then the date-time format is checked (rfc3339-validator shipped) and Asia/Shanghai resolves
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Asia/Shanghai", "True", "False"]
