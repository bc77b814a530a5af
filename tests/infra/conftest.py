"""The template `make package` builds, built once per test session (one `chalice package` run).

The build and the moto deployment run as background processes, started when a
fixture first needs them (the IAM audit starts them before it runs the app, so the
two overlap); the fixtures that read their results wait for them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.checks import expand

ROOT = Path(__file__).resolve().parents[2]
REGION = "ap-southeast-1"
TIMEOUT_S = 900


@dataclass(frozen=True)
class Built:
    out: Path
    template: dict[str, Any]
    expanded: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        return self.template["Resources"]


class Background:
    """A subprocess whose output goes to files, waited for on demand."""

    def __init__(self, args: list[str], workdir: Path) -> None:
        self.stdout, self.stderr = workdir / "stdout", workdir / "stderr"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        with self.stdout.open("w") as out, self.stderr.open("w") as err:
            self.process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=err, env=env)

    def wait(self) -> tuple[int, str, str]:
        code = self.process.wait(timeout=TIMEOUT_S)
        return code, self.stdout.read_text(), self.stderr.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="weitao-infra-tests-") as path:
        yield Path(path)


class Pipeline:
    """``python -m infra.build`` (what ``make package`` runs), then ``python -m infra.moto_deploy`` of its template."""

    def __init__(self, workdir: Path) -> None:
        self.out = workdir / "package"
        for name in ("build", "moto"):
            (workdir / name).mkdir()
        self.workdir = workdir
        self.build = Background([sys.executable, "-m", "infra.build", "--out", str(self.out)], workdir / "build")
        self.deploy: Background | None = None
        self.chain = threading.Thread(target=self._deploy_when_built, daemon=True)
        self.chain.start()

    def _deploy_when_built(self) -> None:
        if self.build.process.wait() == 0:
            self.deploy = Background([sys.executable, "-m", "infra.moto_deploy", str(self.out / "template.json")],
                                     self.workdir / "moto")

    def stop(self) -> None:
        self.build.stop()
        self.chain.join(timeout=TIMEOUT_S)
        if self.deploy:
            self.deploy.stop()


@pytest.fixture(scope="session")
def pipeline(workdir: Path) -> Iterator[Pipeline]:
    """Started by the first fixture that asks (the IAM audit asks first), so it runs while that works."""
    job = Pipeline(workdir)
    yield job
    job.stop()


@pytest.fixture(scope="session")
def built(pipeline: Pipeline) -> Built:
    """The built template and its SAM expansion."""
    code, stdout, stderr = pipeline.build.wait()
    assert code == 0, f"infra.build failed:\n{stdout}\n{stderr}"
    template = json.loads((pipeline.out / "template.json").read_text())
    return Built(pipeline.out, template, expand(template, REGION))


@pytest.fixture(scope="session")
def moto_report(built: Built, pipeline: Pipeline) -> dict[str, Any]:
    """The JSON report of ``python -m infra.moto_deploy`` on the built template."""
    pipeline.chain.join(timeout=TIMEOUT_S)
    assert pipeline.deploy is not None, "the moto deployment did not start"
    code, stdout, stderr = pipeline.deploy.wait()
    # The deployed functions' EMF metric lines share stdout; the report is the last
    # document, the one that opens on a line of its own.
    lines = stdout.splitlines()
    opening = max((i for i, line in enumerate(lines) if line == "{"), default=0)
    try:
        report: dict[str, Any] = json.loads("\n".join(lines[opening:]))
    except ValueError:
        pytest.fail(f"infra.moto_deploy exited {code} without a report:\n{stdout}\n{stderr[-4000:]}")
    report["exit_code"] = code
    report["stderr"] = stderr[-4000:]
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One `chalice package` per run: under xdist every infra test goes to the same worker.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.xdist_group("infra"))
