"""parliament (duo-labs' IAM linter) over every generated policy document in out/policies/.

Its core checks (unknown actions and condition keys, actions on the wrong resource type,
malformed statements) and its community auditors (permissions management, privilege
escalation, credentials exposure, sensitive access) run; findings are named
PARLIAMENT_<issue>, their resource is the review file (policies/<name>.json).

The review files hold IAM syntax with `${tf:<address>.<attribute>}` where a value is only known
to Terraform (a table ARN, the identity pool id). Before linting, each such reference (and a
plain Terraform `${<address>.<attribute>}`) becomes a realistic placeholder of the right shape,
named after the resource (arn:aws:dynamodb:us-east-1:123456789012:table/whimsy-handles), so that
parliament can match actions against resource types. IAM policy variables such as
`${cognito-identity.amazonaws.com:sub}` stay as they are.

Two adaptations, both for documents parliament cannot read as they are:
- A role's trust policy has no Resource (its resource is the role itself); parliament would call
  it MALFORMED. Trust statements (sts:AssumeRole* with a Principal) get the role's ARN as
  Resource, so the action and its condition keys (aud, amr) are still checked.
- parliament splits S3 ARNs at every ':' and then rejects object keys that contain one, such as
  `<region>:<uuid>/public/*` (a Cognito identity id) or `${cognito-identity.amazonaws.com:sub}/*`:
  a false RESOURCE_MISMATCH. In S3 object keys ':' is linted as '_'; the bucket and the `/` that
  tells objects from buckets are untouched, so a real mismatch (s3:GetObject on a bucket ARN)
  is still reported.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.review.gate.findings import Finding
from generator.review.gate.tfjson import Configuration, as_list

ACCOUNT = "123456789012"
POLICIES_DIR = "policies"
# ${tf:aws_dynamodb_table.whimsy_handles.arn} or ${aws_dynamodb_table.whimsy_handles.arn}
_REFERENCE = re.compile(r"\$\{(?:tf:)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}")
_TRUST_ACTIONS = ("sts:assumerole", "sts:tagsession", "sts:setsourceidentity")

Placeholder = Callable[[str, str, str], str]  # (physical name, region, account) -> value
_ARNS: dict[tuple[str, str], Placeholder] = {
    ("aws_dynamodb_table", "arn"): lambda n, r, a: f"arn:aws:dynamodb:{r}:{a}:table/{n}",
    ("aws_cloudwatch_log_group", "arn"): lambda n, r, a: f"arn:aws:logs:{r}:{a}:log-group:{n}",
    ("aws_secretsmanager_secret", "arn"): lambda n, r, a: (
        f"arn:aws:secretsmanager:{r}:{a}:secret:{n}-AbCdEf"
    ),
    ("aws_apigatewayv2_api", "execution_arn"): lambda n, r, a: (
        f"arn:aws:execute-api:{r}:{a}:a1b2c3d4e5"
    ),
    ("aws_cloudfront_distribution", "arn"): lambda n, r, a: (
        f"arn:aws:cloudfront::{a}:distribution/E1A2B3C4D5E6F7"
    ),
    ("aws_cognito_identity_pool", "id"): lambda n, r, a: (
        f"{r}:11111111-2222-3333-4444-555555555555"
    ),
    ("aws_cognito_user_pool", "arn"): lambda n, r, a: (
        f"arn:aws:cognito-idp:{r}:{a}:userpool/{r}_AbCdEfGhI"
    ),
    ("aws_s3_bucket", "arn"): lambda n, r, a: f"arn:aws:s3:::{n}",
    ("aws_iam_role", "arn"): lambda n, r, a: f"arn:aws:iam::{a}:role/{n}",
    ("aws_iam_policy", "arn"): lambda n, r, a: f"arn:aws:iam::{a}:policy/{n}",
    ("aws_iam_openid_connect_provider", "arn"): lambda n, r, a: (
        f"arn:aws:iam::{a}:oidc-provider/token.actions.githubusercontent.com"
    ),
    ("aws_lambda_function", "arn"): lambda n, r, a: f"arn:aws:lambda:{r}:{a}:function:{n}",
    ("aws_sqs_queue", "arn"): lambda n, r, a: f"arn:aws:sqs:{r}:{a}:{n}",
    ("aws_sns_topic", "arn"): lambda n, r, a: f"arn:aws:sns:{r}:{a}:{n}",
    ("aws_kms_key", "arn"): lambda n, r, a: (
        f"arn:aws:kms:{r}:{a}:key/11111111-2222-3333-4444-555555555555"
    ),
}
_NAME_ATTRIBUTES = ("name", "bucket", "function_name", "identity_pool_name")


def placeholders(text: str, config: Configuration) -> str:
    """Replace Terraform references with placeholder values of the right shape."""
    region = config.region()

    def replace(match: re.Match[str]) -> str:
        kind, name, attribute = match.groups()
        resource = config.get(f"{kind}.{name}")
        values = resource.values if resource else {}
        physical = next(
            (str(values[k]) for k in _NAME_ATTRIBUTES if isinstance(values.get(k), str)), name
        )
        make = _ARNS.get((kind, attribute))
        if make is not None:
            return make(physical, region, ACCOUNT)
        service = kind.split("_")[1]
        if attribute.endswith("arn"):
            return f"arn:aws:{service}:{region}:{ACCOUNT}:{physical}"
        return physical

    return _REFERENCE.sub(replace, text)


def _s3_key_colons(resource: Any) -> Any:
    if isinstance(resource, str) and resource.startswith("arn:aws:s3:::") and "/" in resource:
        bucket, _, key = resource[len("arn:aws:s3:::") :].partition("/")
        return f"arn:aws:s3:::{bucket}/{key.replace(':', '_')}"
    return resource


def prepare(document: dict[str, Any], role_arn: str) -> dict[str, Any]:
    """The document as parliament can read it (see the module docstring)."""
    document = json.loads(json.dumps(document))
    raw = document.get("Statement")
    for statement in as_list(raw):
        if not isinstance(statement, dict):
            continue
        for key in ("Resource", "NotResource"):
            if key in statement:
                value = statement[key]
                statement[key] = (
                    [_s3_key_colons(v) for v in value]
                    if isinstance(value, list)
                    else _s3_key_colons(value)
                )
        actions = [str(a).lower() for a in as_list(statement.get("Action"))]
        if (
            "Principal" in statement
            and "Resource" not in statement
            and "NotResource" not in statement
            and actions
            and all(a.startswith(_TRUST_ACTIONS) for a in actions)
        ):
            statement["Resource"] = role_arn
    return document


@functools.cache
def _load_community_config() -> None:
    """The titles and severities of the community auditors' findings (as parliament's CLI)."""
    from generator.errors import require

    parliament = require("parliament", "whimsy gate", "gate")
    override = Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"
    parliament.override_config(str(override))


def lint_document(name: str, text: str, config: Configuration) -> list[Finding]:
    """Findings of one policy document (its review file's text)."""
    _load_community_config()  # first: a missing parliament is reported as what to install
    from parliament import analyze_policy_string, enhance_finding  # type: ignore[import-untyped]
    from parliament.cli import is_finding_filtered  # type: ignore[import-untyped]

    resource = f"{POLICIES_DIR}/{name}.json"
    try:
        document = json.loads(placeholders(text, config))
    except json.JSONDecodeError as exc:
        return [Finding("PARLIAMENT_MALFORMED_JSON", resource, str(exc), "parliament")]
    if not isinstance(document, dict):
        return [Finding("PARLIAMENT_MALFORMED_JSON", resource, "not a JSON object", "parliament")]
    prepared = prepare(document, f"arn:aws:iam::{ACCOUNT}:role/{name}")
    analyzed = analyze_policy_string(
        json.dumps(prepared, indent=2),
        filepath=resource,
        ignore_private_auditors=True,
        include_community_auditors=True,
    )
    findings = []
    for raw in analyzed.findings:
        finding = enhance_finding(raw)
        if is_finding_filtered(finding, "LOW"):
            continue
        detail = finding.detail if isinstance(finding.detail, str) else json.dumps(finding.detail)
        message = f"{finding.title}: {detail}" if detail else str(finding.title)
        findings.append(Finding(f"PARLIAMENT_{finding.issue}", resource, message, "parliament"))
    return findings


def lint(out_dir: Path, config: Configuration) -> tuple[list[Finding], int]:
    """(findings, number of documents linted) for every out/policies/*.json."""
    files = sorted((out_dir / POLICIES_DIR).glob("*.json"))
    findings: list[Finding] = []
    for path in files:
        findings += lint_document(path.stem, path.read_text(encoding="utf-8"), config)
    return sorted(set(findings)), len(files)
