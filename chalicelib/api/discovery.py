"""Discovery: suggestions, dismissals, related accounts, commerce signals, the related-accounts job."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import discovery, suggestion_runs

bp = Blueprint(__name__)


@endpoint(bp, "/me/suggestions", "GET", "Accounts suggested to the caller, best first, with reasons",
          query=("limit",), response="suggestion_list")
def read_suggestions(call: Call) -> dict[str, Any]:
    return discovery.suggestions(call.principal, call.limit(default=10, maximum=50))


@endpoint(bp, "/me/suggestions/{account_id}", "DELETE", "Dismiss a suggestion (not suggested again for 90 days)",
          statuses=(204,))
def dismiss_suggestion(call: Call, account_id: str) -> Reply:
    discovery.dismiss(call.principal, account_id)
    return Reply(None, 204)


@endpoint(bp, "/accounts/{account_id}/related", "GET", "Accounts whose followers overlap most with this one's",
          query=("limit",), response="related_list")
def read_related_accounts(call: Call, account_id: str) -> dict[str, Any]:
    return discovery.related(account_id, call.limit(default=10, maximum=20))


@endpoint(bp, "/ops/signals", "POST", "Accept a batch of commerce signals from the shop platform (operator)",
          request_schema="signals", statuses=(202,), response="signals_accepted")
def accept_signals(call: Call) -> Reply:
    call.principal.require("operator")  # before reading the body: a stranger learns nothing from validation
    return Reply(discovery.accept_signals(call.principal, call.json()), 202)


@endpoint(bp, "/ops/suggestions/runs", "POST", "Run the related-accounts job now (operator)", statuses=(202,),
          response="suggestion_run_view")
def start_suggestion_run(call: Call) -> Reply:
    return Reply(suggestion_runs.start_by_operator(call.principal), 202)


@endpoint(bp, "/ops/suggestions/runs/{run_id}", "GET", "A related-accounts run: progress and summary (operator)",
          response="suggestion_run_view")
def get_suggestion_run(call: Call, run_id: str) -> dict[str, Any]:
    return suggestion_runs.get_run(call.principal, run_id)
