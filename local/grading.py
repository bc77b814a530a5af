"""``python -m local.grading 2026-11``: grade a month on the running local stack and watch it finish.

It starts the very job the monthly schedule starts (``POST /ops/grading/runs`` as an
operator, to the API ``make run`` serves), draws a progress bar from
``GET /ops/grading/runs/{month}`` while the stack's workers run the shards, and prints
the summary: accounts per tier before and after, promotions, demotions and the
transition matrix. ``--api`` points elsewhere (default: the running ``make run``); a
deployed API needs an operator's Cognito ID token in ``WEITAO_TOKEN`` (locally an
operator's dev token is made when it is unset).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any, TextIO

from chalicelib.auth import issue_dev_token
from local.run import RUN_STATE_FILE

BAR_WIDTH = 30


def default_api() -> str:
    """The API of the running ``make run`` (it writes where it is), else 127.0.0.1:$PORT."""
    try:
        return str(json.loads(RUN_STATE_FILE.read_text())["api"])
    except (OSError, ValueError, KeyError):
        return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"


def _call(method: str, url: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def progress_line(run: dict[str, Any]) -> str:
    """One line: a bar of the shards done, the phase, and the accounts graded so far."""
    progress = run["progress"]
    filled = round(BAR_WIDTH * progress["fraction"])
    return (f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {progress['fraction']:>4.0%}  {run['phase']:<6} "
            f"map {progress['map_shards']['done']}/{progress['map_shards']['total']} · "
            f"reduce {progress['reduce_shards']['done']}/{progress['reduce_shards']['total']} · "
            f"{progress['accounts_graded']:,} of ~{progress['accounts_estimate']:,} accounts graded")


def format_summary(month: str, summary: dict[str, Any]) -> str:
    """The run's summary as a table: tiers before/after, moves, the transition matrix and the rules."""
    tiers = sorted(set(summary["before"]) | set(summary["after"]))
    lines = [f"{month}: {summary['graded']:,} accounts graded — {summary['promotions']:,} promoted, "
             f"{summary['demotions']:,} demoted, {summary['kept']:,} kept "
             f"({summary['skipped_new']:,} created after the run started, {summary['not_applied']:,} changed "
             f"before their grade applied)", "",
             f"{'tier':<6}{'before':>10}{'after':>10}"]
    lines += [f"{tier:<6}{summary['before'].get(tier, 0):>10,}{summary['after'].get(tier, 0):>10,}" for tier in tiers]
    lines += ["", "transitions (rows: before, columns: after)", "      " + "".join(f"{t:>8}" for t in tiers)]
    for old in tiers:
        row = summary["transitions"].get(old, {})
        lines.append(f"{old:<6}" + "".join(f"{row.get(new, 0) or '.':>8}" for new in tiers))
    lines += ["", "rules: " + ", ".join(f"{rule} {n:,}" for rule, n in summary["rules"].items())]
    return "\n".join(lines)


TOKEN_VARIABLE = "WEITAO_TOKEN"


def watch(month: str, api: str, interval: float = 0.5, out: TextIO = sys.stdout, token: str | None = None) -> int:
    """Start (or resume) the month's run, show its progress until done, print the summary; the exit code."""
    token = token or issue_dev_token("grading-cli", ["operator"])
    try:
        status, run = _call("POST", f"{api}/ops/grading/runs", token, {"month": month})
    except urllib.error.URLError as error:
        print(f"no API at {api} ({error.reason}): start the local stack with `make run` first", file=out)
        return 2
    if status >= 400:
        print(f"refused ({status}): {run['error']['message']}", file=out)
        return 1
    tty = out.isatty()
    last = ""
    while True:
        line = progress_line(run)
        if line != last:
            print(f"\r{line}" if tty else line, end="" if tty else "\n", file=out, flush=True)
            last = line
        if run["status"] == "done":
            break
        time.sleep(interval)
        status, run = _call("GET", f"{api}/ops/grading/runs/{month}", token)
        if status >= 400:
            print(f"\nlost the run ({status}): {run['error']['message']}", file=out)
            return 1
    print("\n" + format_summary(month, run["summary"]) if tty else format_summary(month, run["summary"]), file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.grading", description=__doc__.splitlines()[0])
    parser.add_argument("month", help="the month to grade, YYYY-MM (its 1st, Asia/Shanghai, must have begun)")
    parser.add_argument("--api", default=None, help="the API to call (default: the running `make run`)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between progress reads")
    parser.epilog = f"Environment: {TOKEN_VARIABLE}, an operator's bearer token (needed for a deployed API)."
    args = parser.parse_args(argv)
    return watch(args.month, args.api or default_api(), args.interval, token=os.environ.get(TOKEN_VARIABLE))


if __name__ == "__main__":
    sys.exit(main())
