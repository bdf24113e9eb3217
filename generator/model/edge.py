"""Sites and APIs as plain data: names, source ARNs and the code CloudFront runs."""

from __future__ import annotations

import re
from typing import Any

from generator.config.models import WhimsyConfig
from generator.model import names
from generator.model.identity import service_trust_policy
from generator.model.storage import tls_only_statement

# CloudFront's managed, AWS-owned policy ids (documented constants).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
HOST_HEADER = "x-whimsy-host"

# CloudFront cannot forward the viewer's Host to API Gateway (which routes by Host), so the
# viewer-request function copies it into a header of our own; the cache key includes it so
# that one user's subdomain is never answered from another user's cached content.
FORWARD_HOST_CODE = f"""function handler(event) {{
  var request = event.request;
  request.headers['{HOST_HEADER}'] = {{ value: request.headers.host.value }};
  return request;
}}
"""

# /api/* on the apex site maps to the HTTP API's own paths.
STRIP_API_PREFIX_CODE = """function handler(event) {
  var request = event.request;
  request.uri = request.uri.replace(/^\\/api(?=\\/|$)/, '') || '/';
  return request;
}
"""


def cdn_log_bucket(config: WhimsyConfig) -> str:
    return config.sites.log_bucket or f"{config.storage.bucket}-cdn-logs"


def has_sites(config: WhimsyConfig) -> bool:
    sites = config.sites
    return bool(sites.apex or sites.legacy_user_sites or sites.user_subdomains)


def route_source_path(route_key: str) -> str:
    """The part of an execute-api source ARN after the stage for an HTTP API route key:
    'GET /handles/{handle}' -> 'GET/handles/*'; 'ANY /x' -> '*/x'."""
    method, path = route_key.split(" ", 1)
    method = "*" if method == "ANY" else method
    path = re.sub(r"\{[^}]+\}", "*", path)
    return f"{method}{path}"


def route_local_name(route_key: str) -> str:
    """A readable Terraform name for a route: 'GET /handles/{handle}' -> get_handles_handle."""
    words = re.findall(r"[A-Za-z0-9]+", route_key.lower())
    return "_".join(words)


def site_bucket_policy(bucket: str, distribution_arn: str) -> dict[str, Any]:
    """Only our distribution (through Origin Access Control) may read the site's files."""
    arn = names.bucket_arn(bucket)
    return {
        "Version": "2012-10-17",
        "Statement": [
            tls_only_statement([arn, f"{arn}/*"]),
            {
                "Sid": "CloudFrontReadsSite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"{arn}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
            },
        ],
    }


def cdn_log_bucket_policy(config: WhimsyConfig) -> dict[str, Any]:
    arn = names.bucket_arn(cdn_log_bucket(config))
    return {"Version": "2012-10-17", "Statement": [tls_only_statement([arn, f"{arn}/*"])]}


APIGATEWAY_LOGS_TRUST = service_trust_policy("apigateway.amazonaws.com")
