"""AWS API calls against the emulator, made from the emulator's own environment.

whimsy's environment does not ship an AWS SDK; the emulator's venv has boto3 (its Lambda
handlers need it). `invoke` (whimsy's side, standard library only) runs this module there as
`python -m generator.local.remote` with a JSON request on stdin; `main` (the emulator's side)
answers with JSON on stdout. Actions:

- create_zone / delete_zone: the hosted zone the committed Terraform references by id;
- inventory: what exists in the emulator, service by service (what a destroy must empty);
- seed: the demo user (seed.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from generator.errors import UserError

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 300


def invoke(python: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Run one action in the emulator's interpreter; its JSON answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = str(REPO)
    try:
        result = subprocess.run(
            [str(python), "-m", "generator.local.remote"], input=json.dumps(request),
            capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise UserError(f"{request['action']} against the emulator timed out") from exc
    try:
        answer: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise UserError(
            f"{request['action']} against the emulator failed:\n{result.stderr[-2000:]}"
        ) from None
    if "error" in answer:
        raise UserError(f"{request['action']} against the emulator failed: {answer['error']}")
    return answer


# --- the emulator's side (boto3 is importable here) ---


def _client(request: dict[str, Any], service: str) -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.client(
        service, endpoint_url=request["endpoint"], region_name=request["region"],
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


def create_zone(request: dict[str, Any]) -> dict[str, Any]:
    route53 = _client(request, "route53")
    name = request["name"].rstrip(".") + "."
    for zone in route53.list_hosted_zones_by_name(DNSName=name).get("HostedZones", []):
        if zone["Name"] == name:
            return {"zone_id": zone["Id"].rsplit("/", 1)[-1]}
    created = route53.create_hosted_zone(Name=name, CallerReference=f"whimsy-local-{name}")
    return {"zone_id": created["HostedZone"]["Id"].rsplit("/", 1)[-1]}


def delete_zone(request: dict[str, Any]) -> dict[str, Any]:
    route53 = _client(request, "route53")
    try:
        route53.delete_hosted_zone(Id=request["zone_id"])
    except route53.exceptions.NoSuchHostedZone:
        return {"deleted": False}
    return {"deleted": True}


def inventory(request: dict[str, Any]) -> dict[str, Any]:
    """{kind: sorted names} of everything a customer can create here (managed policies and
    other built-ins left out)."""

    def c(service: str) -> Any:
        return _client(request, service)

    cloudfront = c("cloudfront")
    found: dict[str, list[str]] = {
        "s3 buckets": [b["Name"] for b in c("s3").list_buckets().get("Buckets", [])],
        "dynamodb tables": c("dynamodb").list_tables().get("TableNames", []),
        "lambda functions": [
            f["FunctionName"] for f in c("lambda").list_functions().get("Functions", [])
        ],
        "cognito user pools": [
            p["Name"] for p in c("cognito-idp").list_user_pools(MaxResults=60).get("UserPools", [])
        ],
        "cognito identity pools": [
            p["IdentityPoolName"]
            for p in c("cognito-identity").list_identity_pools(MaxResults=60)["IdentityPools"]
        ],
        "apigatewayv2 apis": [a["Name"] for a in c("apigatewayv2").get_apis().get("Items", [])],
        "apigatewayv2 domain names": [
            d["DomainName"] for d in c("apigatewayv2").get_domain_names().get("Items", [])
        ],
        "cloudfront distributions": [
            d["Id"] for d in cloudfront.list_distributions()["DistributionList"].get("Items", [])
        ],
        "cloudfront functions": [
            f["Name"] for f in cloudfront.list_functions()["FunctionList"].get("Items", [])
        ],
        "cloudfront cache policies": [
            p["CachePolicy"]["CachePolicyConfig"]["Name"]
            for p in cloudfront.list_cache_policies(Type="custom")["CachePolicyList"].get(
                "Items", []
            )
        ],
        "cloudfront response headers policies": [
            p["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]["Name"]
            for p in cloudfront.list_response_headers_policies(Type="custom")[
                "ResponseHeadersPolicyList"
            ].get("Items", [])
        ],
        "cloudfront origin access controls": [
            o["Name"]
            for o in cloudfront.list_origin_access_controls()["OriginAccessControlList"].get(
                "Items", []
            )
        ],
        "iam roles": [r["RoleName"] for r in c("iam").list_roles().get("Roles", [])],
        "cloudwatch log groups": [
            g["logGroupName"] for g in c("logs").describe_log_groups().get("logGroups", [])
        ],
        "secretsmanager secrets": [
            s["Name"]  # scheduled for deletion still holds the name
            for s in c("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
        ],
        "acm certificates": [
            s["DomainName"] for s in c("acm").list_certificates().get("CertificateSummaryList", [])
        ],
        "route53 hosted zones": [
            z["Name"] for z in c("route53").list_hosted_zones().get("HostedZones", [])
        ],
    }
    return {"inventory": {kind: sorted(names) for kind, names in found.items()}}


def _seed(request: dict[str, Any]) -> dict[str, Any]:
    from generator.local.seed import seed

    return seed(request)


ACTIONS = {
    "create_zone": create_zone,
    "delete_zone": delete_zone,
    "inventory": inventory,
    "seed": _seed,
}


def main() -> int:
    request = json.load(sys.stdin)
    try:
        answer = ACTIONS[request["action"]](request)
    except Exception as exc:  # reported by invoke(), on whimsy's side
        json.dump({"error": f"{type(exc).__name__}: {exc}"}, sys.stdout)
        return 1
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
