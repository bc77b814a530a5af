"""Which IAM permissions an AWS call needs, and whether a role's policy grants them.

Used by the IAM audit test: it records every DynamoDB and SQS call the real handlers
make (through botocore, where PynamoDB, Powertools and boto3 all end up) and checks
each against the built template's policy of the function that made it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# API operations whose IAM action has another name.
_SQS_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


@dataclass(frozen=True)
class Need:
    """One permission a call needs: an action on a resource named as the code names it."""

    action: str
    service: str
    name: str  # table name, "table/index/<index>", or queue name
    index: str | None = None

    def arn(self, region: str, account: str, rename: dict[str, str]) -> str:
        name = rename.get(self.name, self.name)
        if self.service == "dynamodb":
            suffix = f"/index/{self.index}" if self.index else ""
            return f"arn:aws:dynamodb:{region}:{account}:table/{name}{suffix}"
        return f"arn:aws:sqs:{region}:{account}:{name}"


def _queue_name(params: dict[str, Any]) -> str:
    return str(params.get("QueueName") or params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1])


def needs(service: str, operation: str, params: dict[str, Any]) -> list[Need]:
    """The permissions ``operation`` with ``params`` needs (IAM checks transactions item by item)."""
    if service == "dynamodb":
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [Need(f"dynamodb:{operation}", service, t) for t in params["RequestItems"]]
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [Need(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", service, body["TableName"])
                    for item in params["TransactItems"] for kind, body in item.items()]
        index = params.get("IndexName")
        return [Need(f"dynamodb:{operation}", service, params["TableName"], index)]
    if service == "sqs":
        return [Need(f"sqs:{_SQS_ACTIONS.get(operation, operation)}", service, _queue_name(params))]
    return [Need(f"{service}:{operation}", service, "*")]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows(documents: Iterable[dict[str, Any]], action: str, arn: str) -> bool:
    """Whether any Allow statement of ``documents`` (resolved, no intrinsics) grants ``action`` on ``arn``.

    The policies here have no Deny, NotAction or conditions; a statement using them
    counts as not granting, so the audit errs towards failing.
    """
    for document in documents:
        for statement in _listed(document.get("Statement", [])):
            if statement.get("Effect") != "Allow" or "Condition" in statement or "NotAction" in statement:
                continue
            if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement.get("Action", []))):
                continue
            if any(fnmatch.fnmatchcase(arn, r) for r in _listed(statement.get("Resource", []))):
                return True
    return False
