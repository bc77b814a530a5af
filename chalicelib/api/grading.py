"""Grading: operators start and follow runs; owners read their account's grade."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import grading

bp = Blueprint(__name__)


@endpoint(bp, "/ops/grading/runs", "POST", "Start (or resume) the grading of a month (operator)",
          request_schema="grading_run", statuses=(202,), response="grading_run_view")
def start_grading_run(call: Call) -> Reply:
    return Reply(grading.start_month_run(call.principal, call.json()), 202)


@endpoint(bp, "/ops/grading/runs/{month}", "GET", "A grading run: progress and summary (operator)",
          response="grading_run_view")
def get_grading_run(call: Call, month: str) -> dict[str, Any]:
    return grading.get_run(call.principal, month)


@endpoint(bp, "/accounts/{account_id}/grade", "GET", "The account's tier, status, metrics and history (owner)",
          response="account_grade")
def get_account_grade(call: Call, account_id: str) -> dict[str, Any]:
    return grading.account_grade(call.principal, account_id)
