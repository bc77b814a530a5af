"""Offline checks of the built template: SAM expansion, cfn-lint, IAM (parliament) and the deployment rules.

    python -m infra.checks infra/out/template.json

cfn-lint no longer expands SAM, so the template is first translated to plain
CloudFormation with aws-sam-translator (as CloudFormation's transform would), and the
expanded template is what is linted and what the IAM checks read, so the roles SAM
generates (schedules') are checked too. Each check returns a list of findings; the
command (run by ``make package``) fails when any list is not empty. The tests in
``tests/infra/`` run the same functions.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

from infra.schedules import SHANGHAI

ACCOUNT, PARTITION = "123456789012", "aws"
ARTIFACT_URI = "s3://weitao-artifacts/deployment.zip"
# Services whose actions read or change the platform's data: never on Resource "*".
DATA_SERVICES = {"dynamodb", "sqs", "s3", "sns", "kms", "secretsmanager", "ssm", "cognito-idp", "lambda"}
BLOCKING_SEVERITIES = {"MEDIUM", "HIGH", "CRITICAL"}
MIN_RECEIVES, VISIBILITY_FACTOR = 5, 6


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


# --- SAM expansion and cfn-lint ------------------------------------------------------------------

def expand(template: dict[str, Any], region: str) -> dict[str, Any]:
    """The plain CloudFormation CloudFormation's SAM transform would make of ``template``.

    The local ``CodeUri`` (what ``aws cloudformation package`` uploads) is replaced by an
    S3 URI first, as the packaging step would.
    """
    import os

    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    sam = copy.deepcopy(template)
    for function in resources_of(sam, "AWS::Serverless::Function").values():
        function["Properties"]["CodeUri"] = ARTIFACT_URI
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator builds ARNs for this region
    try:
        return Translator(managed_policy_map={}, sam_parser=Parser()).translate(sam_template=sam,
                                                                               parameter_values={})
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


def lint(expanded: dict[str, Any], region: str) -> tuple[list[str], list[str]]:
    """cfn-lint's (errors, warnings) for the expanded template."""
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    matches = cfn_lint(json.dumps(expanded), config=ManualArgs(regions=[region]))
    described = [f"{m.rule.id} {'/'.join(str(p) for p in m.path)}: {m.message}" for m in matches]
    errors = [d for d, m in zip(described, matches, strict=True) if m.rule.id.startswith("E")]
    warnings = [d for d, m in zip(described, matches, strict=True) if not m.rule.id.startswith("E")]
    return errors, warnings


# --- intrinsic functions, resolved for reading policies ------------------------------------------

def _attribute(template: dict[str, Any], name: str, attribute: str, region: str) -> str:
    resource = template["Resources"][name]
    kind, props = resource["Type"], resource.get("Properties", {})
    prefix = f"arn:{PARTITION}"
    if kind == "AWS::DynamoDB::Table" and attribute == "Arn":
        return f"{prefix}:dynamodb:{region}:{ACCOUNT}:table/{props['TableName']}"
    if kind == "AWS::SQS::Queue" and attribute == "Arn":
        return f"{prefix}:sqs:{region}:{ACCOUNT}:{props['QueueName']}"
    if kind == "AWS::SQS::Queue" and attribute == "QueueName":
        return str(props["QueueName"])
    if kind == "AWS::Lambda::Function" and attribute == "Arn":
        return f"{prefix}:lambda:{region}:{ACCOUNT}:function:{props.get('FunctionName', name)}"
    if kind == "AWS::Cognito::UserPool" and attribute == "Arn":
        return f"{prefix}:cognito-idp:{region}:{ACCOUNT}:userpool/{region}_{name}"
    if kind == "AWS::IAM::Role" and attribute == "Arn":
        return f"{prefix}:iam::{ACCOUNT}:role/{name}"
    if kind == "AWS::SNS::Topic" and attribute in ("Arn", "TopicArn"):
        return f"{prefix}:sns:{region}:{ACCOUNT}:{props.get('TopicName', name)}"
    return f"<{name}.{attribute}>"


def resolve(node: Any, template: dict[str, Any], region: str) -> Any:
    """``node`` with Ref, Fn::GetAtt, Fn::Sub and Fn::Join replaced by concrete values (a fake account)."""
    pseudo = {"AWS::Region": region, "AWS::AccountId": ACCOUNT, "AWS::Partition": PARTITION,
              "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "weitao"}
    if isinstance(node, list):
        return [resolve(n, template, region) for n in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (key, value), = node.items()
        if key == "Ref":
            if value in pseudo:
                return pseudo[value]
            props = template["Resources"].get(value, {}).get("Properties", {})
            return str(props.get("FunctionName") or props.get("TableName") or props.get("QueueName") or value)
        if key == "Fn::GetAtt":
            name, attribute = value if isinstance(value, list) else value.split(".", 1)
            return _attribute(template, name, attribute, region)
        if key == "Fn::Sub":
            text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])

            def substitute(match: re.Match[str]) -> str:
                ref = match.group(1)
                if ref in variables:
                    return str(resolve(variables[ref], template, region))
                if ref in pseudo:
                    return pseudo[ref]
                if "." in ref:
                    name, attribute = ref.split(".", 1)
                    return _attribute(template, name, attribute, region)
                return str(resolve({"Ref": ref}, template, region))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if key == "Fn::Join":
            separator, parts = value
            return separator.join(str(p) for p in resolve(parts, template, region))
    return {k: resolve(v, template, region) for k, v in node.items()}


# --- IAM ----------------------------------------------------------------------------------------

def role_policies(expanded: dict[str, Any], region: str) -> dict[str, dict[str, Any]]:
    """Every inline policy document of every role, resolved, by ``<role>/<policy name>``."""
    found = {}
    for name, role in resources_of(expanded, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            found[f"{name}/{policy['PolicyName']}"] = resolve(policy["PolicyDocument"], expanded, region)
        if role["Properties"].get("ManagedPolicyArns"):
            found[f"{name}/ManagedPolicyArns"] = {"managed": role["Properties"]["ManagedPolicyArns"]}
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard_data_grants(expanded: dict[str, Any], region: str) -> list[str]:
    """Statements granting a data action on ``*`` (or an ARN whose resource part is a wildcard)."""
    findings = []
    for where, document in role_policies(expanded, region).items():
        if "managed" in document:
            findings.append(f"{where}: managed policies {document['managed']} are not reviewed here")
            continue
        for statement in _as_list(document.get("Statement", [])):
            if statement.get("Effect") != "Allow":
                continue
            actions = [a for a in _as_list(statement.get("Action", [])) if a.split(":")[0] in DATA_SERVICES]
            if not actions:
                continue
            for resource in _as_list(statement.get("Resource", [])):
                tail = resource.split(":", 5)[-1] if resource.startswith("arn:") else resource
                if resource == "*" or tail in ("*", "table/*") or tail.startswith("*"):
                    findings.append(f"{where} {statement.get('Sid', '')}: {actions} on {resource!r}")
    return findings


def parliament_findings(expanded: dict[str, Any], region: str) -> list[str]:
    """parliament's findings of MEDIUM severity or more on every role policy."""
    from parliament import analyze_policy_string

    findings = []
    for where, document in role_policies(expanded, region).items():
        if "managed" in document:
            continue
        policy = analyze_policy_string(json.dumps(document))
        for finding in policy.findings:
            if finding.severity in BLOCKING_SEVERITIES:
                findings.append(f"{where}: {finding.severity} {finding.issue} {finding.detail}")
    return findings


# --- the deployment rules, read from the template ---------------------------------------------------

def _queue_by_arn(template: dict[str, Any], arn: Any) -> str | None:
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        name = arn["Fn::GetAtt"][0]
        if template["Resources"].get(name, {}).get("Type") == "AWS::SQS::Queue":
            return str(name)
    return None


def queue_findings(template: dict[str, Any]) -> list[str]:
    """Every queue but a DLQ has a DLQ in the stack, redriven after at least 5 receives."""
    queues = resources_of(template, "AWS::SQS::Queue")
    targets = {_queue_by_arn(template, q["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn"))
               for q in queues.values()}
    findings = []
    for name, queue in queues.items():
        if name in targets:
            continue
        redrive = queue["Properties"].get("RedrivePolicy")
        if not redrive:
            findings.append(f"{name} has no dead-letter queue")
            continue
        if _queue_by_arn(template, redrive.get("deadLetterTargetArn")) is None:
            findings.append(f"{name}'s dead-letter queue is not a queue of this stack")
        if int(redrive.get("maxReceiveCount", 0)) < MIN_RECEIVES:
            findings.append(f"{name} redrives after {redrive.get('maxReceiveCount')} receives (< {MIN_RECEIVES})")
    return findings


def sqs_event_sources(template: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(function, event name, event properties) of every SQS event of every SAM function."""
    return [(fn, event_name, event["Properties"])
            for fn, function in resources_of(template, "AWS::Serverless::Function").items()
            for event_name, event in function["Properties"].get("Events", {}).items() if event["Type"] == "SQS"]


def consumer_findings(template: dict[str, Any]) -> list[str]:
    """Each consumer reads a queue of this stack whose visibility timeout is ≥ 6× the function's timeout."""
    findings = []
    functions = resources_of(template, "AWS::Serverless::Function")
    for fn, event_name, props in sqs_event_sources(template):
        queue = _queue_by_arn(template, props.get("Queue"))
        if queue is None:
            findings.append(f"{fn}.{event_name} reads {props.get('Queue')}, not a queue of this stack")
            continue
        timeout = int(functions[fn]["Properties"].get("Timeout", 3))
        visibility = int(template["Resources"][queue]["Properties"].get("VisibilityTimeout", 30))
        if visibility < VISIBILITY_FACTOR * timeout:
            findings.append(f"{queue} visibility {visibility}s < {VISIBILITY_FACTOR} × {fn} timeout {timeout}s")
    return findings


def api_auth_findings(template: dict[str, Any], public: set[tuple[str, str]], authorizer: str) -> list[str]:
    """Every route but the public ones is under the Cognito user pool authorizer."""
    api = resources_of(template, "AWS::Serverless::Api")
    findings = []
    for name, resource in api.items():
        body = resource["Properties"]["DefinitionBody"]
        scheme = body.get("securityDefinitions", {}).get(authorizer, {})
        if scheme.get("x-amazon-apigateway-authtype") != "cognito_user_pools":
            findings.append(f"{name}: {authorizer} is not a Cognito user pool authorizer")
        pools = scheme.get("x-amazon-apigateway-authorizer", {}).get("providerARNs", [])
        if pools != [{"Fn::GetAtt": ["UserPool", "Arn"]}]:
            findings.append(f"{name}: {authorizer} trusts {pools}, not this stack's user pool")
        for path, methods in body["paths"].items():
            for method, operation in methods.items():
                if method.startswith("x-"):
                    continue
                secured = {authorizer} <= {k for s in operation.get("security", []) for k in s}
                if (path, method) in public:
                    if secured:
                        findings.append(f"{method.upper()} {path} is public but asks for a token")
                elif not secured:
                    findings.append(f"{method.upper()} {path} is not under the {authorizer} authorizer")
    return findings


def table_findings(template: dict[str, Any]) -> list[str]:
    findings = []
    for name, table in resources_of(template, "AWS::DynamoDB::Table").items():
        props = table["Properties"]
        if props.get("BillingMode") != "PAY_PER_REQUEST":
            findings.append(f"{name} is not on-demand")
        if not props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            findings.append(f"{name} has no point-in-time recovery")
        if table.get("DeletionPolicy") != "Retain":
            findings.append(f"{name} would be deleted with the stack")
    return findings


def schedule_findings(template: dict[str, Any]) -> list[str]:
    findings = []
    for fn, function in resources_of(template, "AWS::Serverless::Function").items():
        for event_name, event in function["Properties"].get("Events", {}).items():
            if event["Type"] == "Schedule":
                findings.append(f"{fn}.{event_name} is an EventBridge rule in UTC, not a schedule in {SHANGHAI}")
            if event["Type"] == "ScheduleV2" and event["Properties"].get("ScheduleExpressionTimezone") != SHANGHAI:
                findings.append(f"{fn}.{event_name} is not in {SHANGHAI} time")
    return findings


def rule_findings(template: dict[str, Any], public: set[tuple[str, str]], authorizer: str) -> list[str]:
    return (queue_findings(template) + consumer_findings(template) + api_auth_findings(template, public, authorizer)
            + table_findings(template) + schedule_findings(template))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "infra/out/template.json")
    template = json.loads(path.read_text())
    region = "ap-southeast-1"
    expanded = expand(template, region)
    expanded_path = path.with_name("template.expanded.json")
    expanded_path.write_text(json.dumps(expanded, indent=2, ensure_ascii=False) + "\n")
    errors, warnings = lint(expanded, region)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import app  # noqa: F401  (registers the routes whose public flags are read below)
    from infra.template import ALWAYS_PUBLIC, AUTHORIZER_NAME, public_routes

    public = public_routes()
    sections = {
        "cfn-lint errors": errors,
        "routes that must be public but are not declared so": sorted(map(str, ALWAYS_PUBLIC - public)),
        "template rules": rule_findings(template, public, AUTHORIZER_NAME),
        "data actions on wildcard resources": wildcard_data_grants(expanded, region),
        "parliament findings (MEDIUM or more)": parliament_findings(expanded, region),
    }
    for title, findings in sections.items():
        print(f"{title}: {len(findings)}")
        for finding in findings:
            print(f"  {finding}")
    print(f"cfn-lint warnings: {len(warnings)}" + "".join(f"\n  {w}" for w in warnings))
    return 1 if any(sections.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
