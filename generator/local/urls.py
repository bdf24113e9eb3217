"""Where the local platform answers: what Terraform created (read back from its state) and
the emulator URLs that reach it.

ministack routes API Gateway traffic by Host, as AWS does: `<api-id>.execute-api.localhost`,
or a custom domain such as `api.whimsy.space` mapped to the API. `*.localhost` does not
resolve everywhere, so the printed URLs use the equivalent path form on 127.0.0.1,
`/_aws/execute-api/<api-id>/<stage>/...`; clients that can set Host may use either.
"""

from __future__ import annotations

from typing import Any

from generator.local.emulator import HOST

SITE_HOST_HEADER = "x-whimsy-host"  # what CloudFront's forward-host function sets


def resources(shown: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource of `terraform show -json` (root module and children)."""
    found: list[dict[str, Any]] = []
    pending = [((shown.get("values") or {}).get("root_module")) or {}]
    while pending:
        module = pending.pop()
        found.extend(module.get("resources") or [])
        pending.extend(module.get("child_modules") or [])
    return [r for r in found if r.get("mode") == "managed"]


def platform(shown: dict[str, Any]) -> dict[str, Any]:
    """The identifiers clients need, from the applied state (plain JSON for state.json)."""
    found: dict[str, Any] = {"apis": {}, "buckets": {}, "tables": {}, "functions": {},
                             "domains": {}, "user_pools": {}, "identity_pools": {}}  # fmt: skip
    stages: dict[str, str] = {}
    for resource in resources(shown):
        kind, name, values = resource["type"], resource["name"], resource.get("values") or {}
        if kind == "aws_apigatewayv2_api":
            found["apis"][name] = {"id": values["id"], "protocol": values["protocol_type"],
                                   "name": values["name"]}  # fmt: skip
        elif kind == "aws_apigatewayv2_stage":
            stages[values["api_id"]] = values["name"]
        elif kind == "aws_apigatewayv2_api_mapping":
            found["domains"][values["domain_name"]] = values["api_id"]
        elif kind == "aws_s3_bucket":
            found["buckets"][name] = values["bucket"]
        elif kind == "aws_dynamodb_table":
            found["tables"][name] = values["name"]
        elif kind == "aws_lambda_function":
            found["functions"][name] = values["function_name"]
        elif kind == "aws_cognito_user_pool":
            found["user_pools"][name] = values["id"]
            found["user_pool_id"] = values["id"]
        elif kind == "aws_cognito_user_pool_client":
            found["user_pool_client_id"] = values["id"]
        elif kind == "aws_cognito_identity_pool":
            found["identity_pools"][name] = values["id"]
            found["identity_pool_id"] = values["id"]
    for api in found["apis"].values():
        api["stage"] = stages.get(api["id"], "$default")
    return found


def execute_api_host(api_id: str, port: int) -> str:
    return f"{api_id}.execute-api.localhost:{port}"


def api_url(api_id: str, stage: str, port: int, *, websocket: bool = False) -> str:
    """The path-form URL of an API stage on 127.0.0.1 (no DNS needed)."""
    scheme = "ws" if websocket else "http"
    return f"{scheme}://{HOST}:{port}/_aws/execute-api/{api_id}/{stage}/"


def api_urls(found: dict[str, Any], port: int) -> dict[str, str]:
    """{api resource name: URL}, plus each custom domain's name -> the URL it maps to."""
    urls = {}
    by_id = {api["id"]: api for api in found["apis"].values()}
    for name, api in sorted(found["apis"].items()):
        urls[name] = api_url(api["id"], api["stage"], port,
                             websocket=api["protocol"] == "WEBSOCKET")  # fmt: skip
    for domain, api_id in sorted(found["domains"].items()):
        if api_id in by_id:
            api = by_id[api_id]
            urls[domain] = api_url(api_id, api["stage"], port,
                                   websocket=api["protocol"] == "WEBSOCKET")  # fmt: skip
    return urls


def site_command(sites_url: str, handle: str, apex: str, path: str = "") -> str:
    """A curl command that fetches https://<handle>.<apex>/<path> the way CloudFront would
    ask the sites API (the viewer's Host in x-whimsy-host)."""
    return f"curl -H '{SITE_HOST_HEADER}: {handle}.{apex}' '{sites_url}{path.lstrip('/')}'"


def summary(found: dict[str, Any], port: int, demo: dict[str, str], apex: str) -> list[str]:
    """The lines `up` and `status` print."""
    lines = [f"{'emulator':<20} http://{HOST}:{port}  (AWS_ENDPOINT_URL for SDKs and the CLI)"]
    for name, url in api_urls(found, port).items():
        lines.append(f"{name:<20} {url}")
    if found.get("user_pool_id"):
        lines.append(f"{'user pool':<20} {found['user_pool_id']} (app client "
                     f"{found.get('user_pool_client_id', '?')})")  # fmt: skip
    if found.get("identity_pool_id"):
        lines.append(f"{'identity pool':<20} {found['identity_pool_id']}")
    if demo:
        lines.append(f"{'demo user':<20} {demo['email']} / {demo['password']}")
        if demo.get("identity_id"):
            lines.append(f"{'  identity':<20} {demo['identity_id']}")
        sites = found["apis"].get("sites")
        if demo.get("handle") and sites is not None:
            url = api_url(sites["id"], sites["stage"], port)
            lines.append(
                f"{'  site':<20} https://{demo['handle']}.{apex}/ , fetched as CloudFront would:"
            )
            lines.append(f"{'':<20} {site_command(url, demo['handle'], apex)}")
    return lines
