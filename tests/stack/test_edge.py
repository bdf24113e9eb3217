"""Sites and APIs: what the edge promises, asserted on the generated Terraform."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.model.edge import HOST_HEADER, route_local_name, route_source_path

pytestmark = pytest.mark.synth

# Routes anyone may call without signing in; a new public route must be added here on purpose.
INTENTIONALLY_PUBLIC = {
    "POST /payments/webhook",  # Stripe calls it; the signature is the authentication
    "GET /catalog",
    "GET /catalog/{handle}",
    "GET /handles/{handle}",
    # user-hosted services: each service says whether anonymous callers may use it, so the
    # gateway verifies a token itself when one is sent (an invalid one is a 401)
    "ANY /u/{handle}/{service}",
    "ANY /u/{handle}/{service}/{proxy+}",
}


def resources(document: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = document["resource"].get(kind, {})
    return found


def test_every_distribution_uses_the_certificate_and_modern_tls(
    sample_terraform: dict[str, Any],
) -> None:
    distributions = resources(sample_terraform, "aws_cloudfront_distribution")
    assert set(distributions) == {"apex", "user_site_danielx", "user_subdomains"}
    for name, distribution in distributions.items():
        certificate = distribution["viewer_certificate"]
        assert certificate["acm_certificate_arn"] == (
            "${aws_acm_certificate_validation.site.certificate_arn}"
        ), name
        assert certificate["minimum_protocol_version"] == "TLSv1.2_2021", name
        assert certificate["ssl_support_method"] == "sni-only", name
        assert distribution["provider"] == "aws.us_east_1"
        assert distribution["default_cache_behavior"]["viewer_protocol_policy"] == (
            "redirect-to-https"
        )
        assert (
            distribution["logging_config"]["bucket"]
            == "${aws_s3_bucket.cdn_logs.bucket_domain_name}"
        )
        assert distribution["default_cache_behavior"]["response_headers_policy_id"] == (
            "${aws_cloudfront_response_headers_policy.security.id}"
        )
    assert distributions["apex"]["aliases"] == ["whimsy.space"]
    assert distributions["user_site_danielx"]["aliases"] == ["danielx.whimsy.space"]
    assert distributions["user_subdomains"]["aliases"] == ["*.whimsy.space"]


def test_security_headers_include_hsts(sample_terraform: dict[str, Any]) -> None:
    policy = resources(sample_terraform, "aws_cloudfront_response_headers_policy")["security"]
    hsts = policy["security_headers_config"]["strict_transport_security"]
    assert hsts["access_control_max_age_sec"] >= 31536000
    assert hsts["include_subdomains"] is True


def test_apex_site_reads_its_bucket_only_through_origin_access_control(
    sample_terraform: dict[str, Any],
) -> None:
    apex = resources(sample_terraform, "aws_cloudfront_distribution")["apex"]
    (site_origin,) = [o for o in apex["origin"] if o["origin_id"] == "site"]
    assert (
        site_origin["origin_access_control_id"] == "${aws_cloudfront_origin_access_control.site.id}"
    )
    assert apex["default_root_object"] == "index.html"
    block = resources(sample_terraform, "aws_s3_bucket_public_access_block")["site"]
    assert all(block[k] for k in ("block_public_acls", "ignore_public_acls",
                                  "block_public_policy", "restrict_public_buckets"))  # fmt: skip
    policy = json.loads(resources(sample_terraform, "aws_s3_bucket_policy")["site"]["policy"])
    allow = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow == [
        {
            "Sid": "CloudFrontReadsSite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::whimsy-space-site/*",
            "Condition": {
                "StringEquals": {"AWS:SourceArn": "${aws_cloudfront_distribution.apex.arn}"}
            },
        }
    ]


def test_api_behaviour_caches_per_caller(sample_terraform: dict[str, Any]) -> None:
    apex = resources(sample_terraform, "aws_cloudfront_distribution")["apex"]
    (behaviour,) = apex["ordered_cache_behavior"]
    assert behaviour["path_pattern"] == "/api/*"
    assert behaviour["cached_methods"] == ["GET", "HEAD"]
    policy = resources(sample_terraform, "aws_cloudfront_cache_policy")["api"]
    headers = policy["parameters_in_cache_key_and_forwarded_to_origin"]["headers_config"]
    assert headers["headers"]["items"] == ["Authorization"]


def test_legacy_site_serves_the_users_public_folder(sample_terraform: dict[str, Any]) -> None:
    (origin,) = resources(sample_terraform, "aws_cloudfront_distribution")["user_site_danielx"][
        "origin"
    ]
    assert origin["origin_path"] == "/us-east-1:e4d94092-1099-4c4d-aa01-1dbbf7e1f1df/public"
    assert origin["domain_name"] == "whimsy-fs.s3.us-east-1.amazonaws.com"


def test_wildcard_distribution_keys_the_cache_on_the_viewers_host(
    sample_terraform: dict[str, Any],
) -> None:
    wildcard = resources(sample_terraform, "aws_cloudfront_distribution")["user_subdomains"]
    behaviour = wildcard["default_cache_behavior"]
    policy = resources(sample_terraform, "aws_cloudfront_cache_policy")["user_subdomains"]
    assert behaviour["cache_policy_id"] == "${aws_cloudfront_cache_policy.user_subdomains.id}"
    headers = policy["parameters_in_cache_key_and_forwarded_to_origin"]["headers_config"]
    assert headers == {"header_behavior": "whitelist", "headers": {"items": [HOST_HEADER]}}
    (association,) = behaviour["function_association"]
    assert association["event_type"] == "viewer-request"
    function = resources(sample_terraform, "aws_cloudfront_function")["forward_host"]
    assert f"request.headers['{HOST_HEADER}']" in function["code"]
    assert "request.headers.host.value" in function["code"]
    (origin,) = wildcard["origin"]
    assert origin["custom_origin_config"]["origin_protocol_policy"] == "https-only"
    assert "aws_apigatewayv2_api.sites.api_endpoint" in origin["domain_name"]


def test_every_site_and_api_domain_has_alias_records(sample_terraform: dict[str, Any]) -> None:
    records = resources(sample_terraform, "aws_route53_record")
    aliased = {(r["name"], r["type"]) for r in records.values() if "alias" in r}
    for domain in ("whimsy.space", "danielx.whimsy.space", "*.whimsy.space",
                   "api.whimsy.space", "collab.whimsy.space"):  # fmt: skip
        assert {(domain, "A"), (domain, "AAAA")} <= aliased, domain


def test_user_routes_have_the_jwt_authorizer_and_public_routes_are_intended(
    sample_terraform: dict[str, Any], sample_config: Any
) -> None:
    routes = {
        route["route_key"]: route
        for route in resources(sample_terraform, "aws_apigatewayv2_route").values()
        if route["api_id"] == "${aws_apigatewayv2_api.http.id}"
    }
    assert set(routes) == {route.route for route in sample_config.apis.http.routes}
    for route in sample_config.apis.http.routes:
        deployed = routes[route.route]
        if route.auth == "user":
            assert deployed["authorization_type"] == "JWT", route.route
            assert deployed["authorizer_id"] == "${aws_apigatewayv2_authorizer.cognito.id}"
        else:
            assert deployed["authorization_type"] == "NONE"
            assert route.route in INTENTIONALLY_PUBLIC, f"{route.route} is public by accident?"
    public = {key for key, r in routes.items() if r["authorization_type"] == "NONE"}
    assert public == INTENTIONALLY_PUBLIC
    authorizer = resources(sample_terraform, "aws_apigatewayv2_authorizer")["cognito"]
    assert authorizer["jwt_configuration"]["audience"] == ["${aws_cognito_user_pool_client.web.id}"]
    assert (
        authorizer["jwt_configuration"]["issuer"]
        == "https://${aws_cognito_user_pool.users.endpoint}"
    )


def test_http_api_stage_throttles_and_logs_callers(sample_terraform: dict[str, Any]) -> None:
    stage = resources(sample_terraform, "aws_apigatewayv2_stage")["http"]
    assert stage["default_route_settings"]["throttling_rate_limit"] == 50
    assert stage["default_route_settings"]["throttling_burst_limit"] == 100
    log_format = json.loads(stage["access_log_settings"]["format"])
    assert {"requestId", "routeKey", "status", "latencyMs", "caller"} <= set(log_format)
    integrations = resources(sample_terraform, "aws_apigatewayv2_integration")
    assert all(
        i["payload_format_version"] == "2.0"
        for k, i in integrations.items()
        if k.startswith("http_")
    )
    domain = resources(sample_terraform, "aws_apigatewayv2_domain_name")["http"]
    assert domain["domain_name"] == "api.whimsy.space"
    assert domain["domain_name_configuration"]["security_policy"] == "TLS_1_2"
    assert domain["domain_name_configuration"]["endpoint_type"] == "REGIONAL"


def test_no_lambda_permission_lacks_a_source_arn(sample_terraform: dict[str, Any]) -> None:
    permissions = resources(sample_terraform, "aws_lambda_permission")
    assert len(permissions) >= 10
    for name, permission in permissions.items():
        assert permission.get("source_arn"), name
        if permission["principal"] == "s3.amazonaws.com":  # the catalog's S3 trigger
            assert permission["source_arn"] == "arn:aws:s3:::whimsy-fs", name
            continue
        assert permission["principal"] == "apigateway.amazonaws.com", name
        assert permission["source_arn"].startswith("${aws_apigatewayv2_api."), name
    webhook = permissions["http_post_payments_webhook"]
    assert (
        webhook["source_arn"]
        == "${aws_apigatewayv2_api.http.execution_arn}/*/POST/payments/webhook"
    )


def test_websocket_api_authorizes_connect_and_routes_messages(
    sample_terraform: dict[str, Any],
) -> None:
    routes = {
        r["route_key"]: r
        for r in resources(sample_terraform, "aws_apigatewayv2_route").values()
        if r["api_id"] == "${aws_apigatewayv2_api.realtime.id}"
    }
    assert set(routes) == {"$connect", "$disconnect", "$default", "join", "op"}
    assert routes["$connect"]["authorization_type"] == "CUSTOM"
    assert routes["$connect"]["authorizer_id"] == "${aws_apigatewayv2_authorizer.realtime.id}"
    authorizer = resources(sample_terraform, "aws_apigatewayv2_authorizer")["realtime"]
    assert authorizer["identity_sources"] == ["route.request.querystring.token"]
    stage = resources(sample_terraform, "aws_apigatewayv2_stage")["realtime"]
    assert stage["default_route_settings"]["data_trace_enabled"] is False
    domain = resources(sample_terraform, "aws_apigatewayv2_domain_name")["realtime"]
    assert domain["domain_name"] == "collab.whimsy.space"


def test_route_helpers() -> None:
    assert route_source_path("GET /handles/{handle}") == "GET/handles/*"
    assert route_source_path("ANY /files/{path+}") == "*/files/*"
    assert route_local_name("DELETE /handles/{handle}") == "delete_handles_handle"
