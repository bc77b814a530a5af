"""Deploy the built template to moto's CloudFormation and run a smoke flow against what it created.

    python -m infra.moto_deploy infra/out/template.json

Runs in its own process: it starts an embedded moto, sets the template's stage before
importing the app (table and queue names come from ``STAGE``), translates the SAM
template (:func:`infra.checks.expand`), deploys every resource moto's CloudFormation
can create, and then drives the real app against the stack's tables and queues:
an account, a follower, a post through moderation and fan-out, the post in the feed.
It also reads back each queue's redrive policy and visibility timeout and each table's
keys as CloudFormation made them. Prints one JSON report; exits 1 when the stack or
the flow failed.
"""

from __future__ import annotations

import io
import json
import re
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from infra.checks import ARTIFACT_URI, expand, resolve

# Deployable in moto but left out on purpose.
SKIPPED = {
    "AWS::Lambda::EventSourceMapping": "moto would invoke the functions itself (in Docker) for every message; "
                                       "the smoke flow runs the same handlers through local.workers instead",
    "AWS::ApiGateway::RestApi": "moto's CloudFormation wants a Name and does not import a Swagger Body; "
                                "the smoke flow calls the routes through Chalice's test client",
    "AWS::ApiGateway::Deployment": "its RestApi is left out",
}
STACK = "weitao-smoke"
REGION = "ap-southeast-1"


def _stand_in(node: Any, gone: set[str], template: dict[str, Any]) -> Any:
    """``node`` with references to left-out resources replaced by the values they would have had."""
    if isinstance(node, list):
        return [_stand_in(n, gone, template) for n in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (key, value), = node.items()
        if key == "Ref" and value in gone:
            return str(resolve(node, template, REGION))
        if key == "Fn::GetAtt" and (value[0] if isinstance(value, list) else value.split(".")[0]) in gone:
            return str(resolve(node, template, REGION))
        if key == "Fn::Sub" and isinstance(value, str):
            def fill(match: re.Match[str]) -> str:
                ref = match.group(1)
                if ref.split(".")[0] in gone:
                    return str(resolve({"Fn::Sub": match.group(0)}, template, REGION))
                return match.group(0)

            return {"Fn::Sub": re.sub(r"\$\{([^}!]+)\}", fill, value)}
    return {k: _stand_in(v, gone, template) for k, v in node.items()}


def deployable_subset(template: dict[str, Any], supported: set[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The template without what moto cannot create; returns it and what was left out, with why.

    References to a left-out resource become the value it would have had (a user
    pool's ARN in an environment variable), so the functions and the API that refer
    to it are still deployed.
    """
    left_out: dict[str, str] = {}
    for name, resource in template["Resources"].items():
        kind = resource["Type"]
        if kind in SKIPPED:
            left_out[name] = f"{kind}: {SKIPPED[kind]}"
        elif kind not in supported:
            left_out[name] = f"{kind}: moto's CloudFormation cannot create it"
    gone = set(left_out)
    kept = {}
    for name, resource in template["Resources"].items():
        if name in gone:
            continue
        resource = _stand_in(resource, gone, template)
        depends = resource.get("DependsOn")
        if depends:
            resource["DependsOn"] = [d for d in ([depends] if isinstance(depends, str) else depends) if d not in gone]
        kept[name] = resource
    outputs = {n: _stand_in(o, gone, template) for n, o in template.get("Outputs", {}).items()}
    return {**template, "Resources": kept, "Outputs": outputs}, left_out


def _upload_artifact() -> None:
    """Put a stand-in for the functions' code where their ``CodeUri`` points (moto never runs it)."""
    import boto3

    bucket, key = ARTIFACT_URI[len("s3://"):].split("/", 1)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "")
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())


def deploy(template: dict[str, Any]) -> dict[str, Any]:
    import boto3

    cfn = boto3.client("cloudformation", region_name=REGION)
    try:
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template),
                         Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    except Exception as error:  # moto answers a resource it cannot build with a bare 500
        return {"status": "CREATE_FAILED", "reason": f"{type(error).__name__}: {error}"[:500], "resources": {}}
    deadline = time.monotonic() + 120
    while True:
        stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    created = cfn.describe_stack_resources(StackName=STACK)["StackResources"]
    return {"status": stack["StackStatus"], "reason": stack.get("StackStatusReason"),
            "resources": {r["LogicalResourceId"]: r["ResourceType"] for r in created}}


def check_created_resources() -> list[str]:
    """Each queue of QUEUES and table of ALL_MODELS, as CloudFormation made it, agrees with the code."""
    import boto3

    from chalicelib.store.queues import QUEUES
    from chalicelib.store.tables import ALL_MODELS

    problems = []
    sqs = boto3.client("sqs", region_name=REGION)
    for spec in QUEUES.values():
        url = sqs.get_queue_url(QueueName=spec.name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
        if not redrive.get("deadLetterTargetArn", "").endswith(f":{spec.dlq_name}"):
            problems.append(f"{spec.name}: dead-letter target {redrive.get('deadLetterTargetArn')}")
        if int(redrive.get("maxReceiveCount", 0)) != spec.max_receive_count:
            problems.append(f"{spec.name}: maxReceiveCount {redrive.get('maxReceiveCount')}")
        if int(attributes["VisibilityTimeout"]) != spec.visibility_timeout_s:
            problems.append(f"{spec.name}: visibility {attributes['VisibilityTimeout']}")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for model in ALL_MODELS:
        table = dynamodb.describe_table(TableName=model.Meta.table_name)["Table"]
        keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
        wanted = {k["AttributeName"]: k["KeyType"] for k in model._get_schema()["key_schema"]}
        if keys != wanted:
            problems.append(f"{model.Meta.table_name}: keys {keys}, the model wants {wanted}")
        made = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", []) + table.get(
            "LocalSecondaryIndexes", [])}
        declared = {i["index_name"] for i in model._get_schema().get("global_secondary_indexes", [])
                    + model._get_schema().get("local_secondary_indexes", [])}
        if made != declared:
            problems.append(f"{model.Meta.table_name}: indexes {sorted(made)}, the model declares {sorted(declared)}")
    return problems


def smoke_flow() -> dict[str, Any]:
    """A merchant posts, a fan follows, the workers run, the post is in the fan's feed."""
    from chalice.test import Client

    from app import app
    from chalicelib.auth import issue_dev_token
    from local.workers import drain

    def call(client: Client, user: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {issue_dev_token(user)}"}
        raw = getattr(client.http, method)(path, headers=headers,
                                           body=json.dumps(body, ensure_ascii=False) if body is not None else None)
        return raw.status_code, json.loads(raw.body) if raw.body else None

    with Client(app, stage_name="local") as client:
        status, account = call(client, "merchant-1", "post", "/accounts", {
            "handle": "smoke_store", "display_name": "冒烟测试店", "kind": "merchant", "category": "数码"})
        if status != 201:
            return {"ok": False, "step": "create account", "status": status, "body": account}
        account_id = account["account_id"]
        status, body = call(client, "fan-1", "put", f"/me/following/{account_id}")
        if status != 200:
            return {"ok": False, "step": "follow", "status": status, "body": body}
        status, post = call(client, "merchant-1", "post", f"/accounts/{account_id}/posts", {
            "type": "new_product", "format": "nine_grid", "text": "新品上市 #新品#", "topics": ["#新品#"],
            "images": ["https://img.example.com/new.jpg"], "products": ["sku-1"]})
        if status != 202:
            return {"ok": False, "step": "publish", "status": status, "body": post}
        batches = drain(app)
        status, feed = call(client, "fan-1", "get", "/me/feed")
        ids = [item["post_id"] for item in (feed or {}).get("items", [])]
        return {"ok": status == 200 and post["post_id"] in ids, "step": "feed", "status": status,
                "post_id": post["post_id"], "feed": ids, "worker_batches": batches}


def run(template_path: Path) -> dict[str, Any]:
    template = json.loads(template_path.read_text())
    stage = next(f["Properties"]["Environment"]["Variables"]["STAGE"]
                 for f in template["Resources"].values() if f["Type"] == "AWS::Serverless::Function")
    from local.environment import point_at, start_moto

    server, endpoint = start_moto()
    point_at(endpoint, stage=stage)
    import os

    # Local dev tokens for the smoke client; the settings refuse them only inside Lambda.
    os.environ["AUTH_MODE"] = "hs256"
    try:
        from moto.cloudformation.parsing import get_model_map

        expanded = expand(template, REGION)
        subset, left_out = deployable_subset(expanded, set(get_model_map()))
        _upload_artifact()
        stack = deploy(subset)
        report: dict[str, Any] = {"stage": stage, "stack_status": stack["status"], "reason": stack["reason"]}
        kinds: dict[str, int] = {}
        for kind in stack["resources"].values():
            kinds[kind] = kinds.get(kind, 0) + 1
        report["deployed"] = kinds
        report["left_out"] = left_out
        if stack["status"] != "CREATE_COMPLETE":
            report["ok"] = False
            return report
        report["resource_problems"] = check_created_resources()
        report["smoke"] = smoke_flow()
        report["ok"] = report["smoke"]["ok"] and not report["resource_problems"]
        return report
    finally:
        # The feed read queues its impressions on the background thread; send them while
        # moto is up, or the failed send's log line lands after the report on stdout.
        from chalicelib.services import background

        background.flush()
        server.stop()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    report = run(Path(args[0] if args else "infra/out/template.json"))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
