"""The platform stack: one construct per AWS component."""

from __future__ import annotations

import json
from typing import Any

from cdktn import App, TerraformStack

from generator.config.models import WhimsyConfig
from generator.model import edge
from generator.stack.apis import HttpApi, ProxyApi
from generator.stack.certificate import Certificate
from generator.stack.delivery import Delivery
from generator.stack.functions import Functions, Secrets
from generator.stack.identity import Identity
from generator.stack.kv import KeyValueTables
from generator.stack.realtime import Realtime
from generator.stack.settings import add_settings
from generator.stack.sites import Sites
from generator.stack.user_files import UserFiles


class PlatformStack(TerraformStack):
    def __init__(self, app: App, config: WhimsyConfig, source_hashes: dict[str, str]) -> None:
        super().__init__(app, config.project.name)
        edge_provider = add_settings(self, config)
        certificate = Certificate(self, config, edge_provider)
        UserFiles(self, config)
        KeyValueTables(self, config)
        identity = Identity(self, config)
        Secrets(self, config)
        functions = Functions(self, config, source_hashes).by_name
        if config.apis.http:
            HttpApi(self, config, identity, functions, certificate.api_arn)
        websocket = config.realtime.websocket
        if websocket:
            Realtime(self, config, functions[websocket.function], certificate.api_arn)
        proxy_origin = None
        if config.sites.user_subdomains:
            proxy = ProxyApi(self, config, functions[config.sites.user_subdomains.proxy_function])
            proxy_origin = proxy.origin_domain
        if edge.has_sites(config):
            api_domain = config.apis.http.domain if config.apis.http else None
            Sites(self, config, edge_provider, certificate.validated_arn, api_domain, proxy_origin)
        if config.delivery.github:
            Delivery(self, config)


def _strip_metadata(value: Any) -> Any:
    """Drop cdktn's '//' comments (construct paths): noise in review diffs."""
    if isinstance(value, dict):
        return {k: _strip_metadata(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_strip_metadata(v) for v in value]
    return value


def synthesize_platform(config: WhimsyConfig, source_hashes: dict[str, str]) -> dict[str, Any]:
    app = App(skip_validation=True, skip_backend_validation=True)
    stack = PlatformStack(app, config, source_hashes)
    # Round-trip through JSON to turn jsii proxies into plain Python values.
    document = json.loads(json.dumps(stack.to_terraform()))
    result: dict[str, Any] = _strip_metadata(document)
    return result
