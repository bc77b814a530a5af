"""`make package`: build the deployable SAM template in ``infra/out/``.

    python -m infra.build [--out infra/out] [--stage prod]

Runs ``chalice package`` once for the stage (it needs a region, not credentials, and
downloads the runtime wheels from PyPI; Chalice caches them in ``.chalice/deployments``),
then merges in the resources Chalice does not make (:func:`infra.template.extend`).
Chalice reads the project's ``requirements.txt``; it packages a staged copy of the
project whose ``requirements.txt`` is ``requirements.lock`` (the whole closure pinned,
with hashes), so the zip holds exactly the locked packages, whatever PyPI has since.
Writes ``template.json`` and ``deployment.zip`` (its ``CodeUri``) side by side, so
``sam deploy`` or ``aws cloudformation package`` can take the directory as it is.

Settings and PynamoDB models read the environment at import time, so this module sets
the stage's environment before anything from ``chalicelib`` is imported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGION = "ap-southeast-1"
CACHE_KEEP = 3
# Only lets chalicelib.api.http build the Cognito authorizer at import; the template
# replaces it with the user pool it creates (Fn::GetAtt), see infra.template.extend.
PLACEHOLDER_POOL_ARN = "arn:aws:cognito-idp:ap-southeast-1:000000000000:userpool/ap-southeast-1_placeholder"


def stage_environment(stage: str, region: str) -> dict[str, str]:
    """The environment `chalice package` and the template builder import the app under."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(config["stages"][stage].get("environment_variables", {}))
    env.update({"STAGE": stage, "AWS_DEFAULT_REGION": region, "AWS_REGION": region,
                "COGNITO_USER_POOL_ARN": PLACEHOLDER_POOL_ARN})
    return env


def staged_project(work: Path) -> Path:
    """What Chalice packages (app, chalicelib, vendor, config), with the lock as its requirements."""
    project = work / "project"
    (project / ".chalice").mkdir(parents=True)
    shutil.copy2(ROOT / "app.py", project / "app.py")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
    if (ROOT / "vendor").is_dir():
        shutil.copytree(ROOT / "vendor", project / "vendor", ignore=ignore)
    for config in (ROOT / ".chalice").glob("*.json"):
        shutil.copy2(config, project / ".chalice" / config.name)
    shutil.copy2(ROOT / "requirements.lock", project / "requirements.txt")
    # Keep Chalice's dependency cache across builds (it is keyed on requirements and files).
    cache = ROOT / ".chalice" / "deployments"
    cache.mkdir(exist_ok=True)
    (project / ".chalice" / "deployments").symlink_to(cache, target_is_directory=True)
    return project


def chalice_package(stage: str, env: dict[str, str], work: Path) -> Path:
    """Run `chalice package`; returns the directory holding ``sam.json`` and ``deployment.zip``."""
    chalice = Path(sys.executable).parent / "chalice"
    target = work / "chalice"
    project = staged_project(work)
    result = subprocess.run(
        [str(chalice), "--project-dir", str(project), "package", "--stage", stage, "--pkg-format", "cloudformation",
         "--template-format", "json", str(target)],
        env=env, cwd=project, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"chalice package failed:\n{result.stdout}\n{result.stderr}")
    return target


def prune_dependency_cache(keep: int = CACHE_KEEP) -> None:
    """Delete all but the newest ``keep`` of Chalice's cached dependency zips.

    Chalice keys the cache on the requirements *and* the app's files, so every code
    change adds a zip of the whole runtime (~20 MB) to ``.chalice/deployments``.
    """
    cached = sorted((ROOT / ".chalice" / "deployments").glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in cached[keep:]:
        stale.unlink(missing_ok=True)


def build(out: Path, stage: str = "prod", region: str = DEFAULT_REGION) -> Path:
    """Build ``out/template.json`` (and ``out/deployment.zip``); returns the template's path."""
    from infra.shipped import stale_schema_files

    stale = stale_schema_files()
    if stale:
        raise SystemExit(f"chalicelib/schemas is stale ({', '.join(stale[:5])}); run `make schemas`")
    env = stage_environment(stage, region)
    os.environ.clear()
    os.environ.update(env)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="weitao-package-") as work:
        packaged = chalice_package(stage, env, Path(work))
        chalice_template: dict[str, Any] = json.loads((packaged / "sam.json").read_text())
        shutil.move(str(packaged / "deployment.zip"), out / "deployment.zip")
    prune_dependency_cache()

    sys.path.insert(0, str(ROOT))
    from app import app
    from infra.template import TemplateError, extend

    try:
        template = extend(chalice_template, app)
    except TemplateError as error:
        raise SystemExit(f"cannot build the template: {error}") from None
    path = out / "template.json"
    path.write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "infra" / "out")
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", DEFAULT_REGION))
    args = parser.parse_args(argv)
    path = build(args.out.resolve(), args.stage, args.region)
    resources = json.loads(path.read_text())["Resources"]
    kinds: dict[str, int] = {}
    for resource in resources.values():
        kinds[resource["Type"]] = kinds.get(resource["Type"], 0) + 1
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
          + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
