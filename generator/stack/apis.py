"""API Gateway HTTP APIs: api.<apex> (routes from config) and the subdomain proxy's API."""

from __future__ import annotations

import json

from cdktn import Fn, TerraformStack
from cdktn_provider_aws.apigatewayv2_api import Apigatewayv2Api, Apigatewayv2ApiCorsConfiguration
from cdktn_provider_aws.apigatewayv2_api_mapping import Apigatewayv2ApiMapping
from cdktn_provider_aws.apigatewayv2_authorizer import (
    Apigatewayv2Authorizer,
    Apigatewayv2AuthorizerJwtConfiguration,
)
from cdktn_provider_aws.apigatewayv2_domain_name import (
    Apigatewayv2DomainName,
    Apigatewayv2DomainNameDomainNameConfiguration,
)
from cdktn_provider_aws.apigatewayv2_integration import Apigatewayv2Integration
from cdktn_provider_aws.apigatewayv2_route import Apigatewayv2Route
from cdktn_provider_aws.apigatewayv2_stage import (
    Apigatewayv2Stage,
    Apigatewayv2StageAccessLogSettings,
    Apigatewayv2StageDefaultRouteSettings,
)
from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.lambda_function import LambdaFunction
from cdktn_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from generator.config.models import WhimsyConfig
from generator.model import edge
from generator.stack.base import named
from generator.stack.dns import alias_records
from generator.stack.identity import Identity

ACCESS_LOG_DAYS = 90
# One JSON object per request: who called what, how it went, how long it took.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "time": "$context.requestTimeEpoch",
        "ip": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "latencyMs": "$context.responseLatency",
        "integrationLatencyMs": "$context.integrationLatency",
        "caller": "$context.authorizer.claims.sub",
        "integrationError": "$context.integrationErrorMessage",
    },
    separators=(",", ":"),
)


def access_log_group(scope: Construct, local: str, name: str) -> CloudwatchLogGroup:
    return named(
        CloudwatchLogGroup(
            scope, f"{local}_access_logs", name=name, retention_in_days=ACCESS_LOG_DAYS
        ),
        f"{local}_access",
    )


def proxy_integration(
    scope: Construct, local: str, api: Apigatewayv2Api, function: LambdaFunction
) -> Apigatewayv2Integration:
    return named(
        Apigatewayv2Integration(
            scope,
            f"{local}_integration",
            api_id=api.id,
            integration_type="AWS_PROXY",
            integration_uri=function.invoke_arn,
            integration_method="POST",
            payload_format_version="2.0",
        ),
        local,
    )


def invoke_permission(
    scope: Construct, local: str, function: LambdaFunction, source_arn: str
) -> None:
    """API Gateway may invoke the function, from exactly this API and route."""
    named(
        LambdaPermission(
            scope,
            f"{local}_permission",
            statement_id=f"apigateway-{local}".replace("_", "-"),
            action="lambda:InvokeFunction",
            function_name=function.function_name,
            principal="apigateway.amazonaws.com",
            source_arn=source_arn,
        ),
        local,
    )


def default_stage(
    scope: Construct,
    local: str,
    api: Apigatewayv2Api,
    log_name: str,
    route_settings: Apigatewayv2StageDefaultRouteSettings | None = None,
) -> Apigatewayv2Stage:
    """The auto-deployed $default stage with JSON access logs to its own log group."""
    logs = access_log_group(scope, local, log_name)
    return named(
        Apigatewayv2Stage(
            scope,
            "stage",
            api_id=api.id,
            name="$default",
            auto_deploy=True,
            default_route_settings=route_settings,
            access_log_settings=Apigatewayv2StageAccessLogSettings(
                destination_arn=logs.arn, format=ACCESS_LOG_FORMAT
            ),
        ),
        local,
    )


def custom_domain(
    scope: Construct,
    config: WhimsyConfig,
    local: str,
    domain: str,
    api: Apigatewayv2Api,
    stage: Apigatewayv2Stage,
    certificate_arn: str,
) -> None:
    """A regional custom domain (TLS 1.2), mapped to the API's stage, with alias records."""
    name = named(
        Apigatewayv2DomainName(
            scope,
            "domain",
            domain_name=domain,
            domain_name_configuration=Apigatewayv2DomainNameDomainNameConfiguration(
                certificate_arn=certificate_arn,
                endpoint_type="REGIONAL",
                security_policy="TLS_1_2",
            ),
        ),
        local,
    )
    named(
        Apigatewayv2ApiMapping(
            scope, "mapping", api_id=api.id, domain_name=name.id, stage=stage.id
        ),
        local,
    )
    target = name.domain_name_configuration
    alias_records(scope, config, local, domain, target.target_domain_name, target.hosted_zone_id)


class HttpApi(Construct):
    """api.<apex>: the routes of apis.http, JWT-authorized where auth: user."""

    def __init__(
        self,
        scope: TerraformStack,
        config: WhimsyConfig,
        identity: Identity,
        functions: dict[str, LambdaFunction],
        certificate_arn: str,
    ) -> None:
        super().__init__(scope, "http_api")
        settings = config.apis.http
        assert settings is not None
        cors = None
        if settings.cors_origins:
            cors = Apigatewayv2ApiCorsConfiguration(
                allow_origins=list(settings.cors_origins),
                allow_methods=sorted({r.route.split(" ")[0] for r in settings.routes} - {"ANY"}),
                allow_headers=["authorization", "content-type"],
                max_age=3600,
            )
        self.api = named(
            Apigatewayv2Api(
                self,
                "api",
                name=f"{config.project.name}-api",
                protocol_type="HTTP",
                cors_configuration=cors,
            ),
            "http",
        )
        authorizer = named(
            Apigatewayv2Authorizer(
                self,
                "cognito",
                api_id=self.api.id,
                name="cognito-user-pool",
                authorizer_type="JWT",
                identity_sources=["$request.header.Authorization"],
                jwt_configuration=Apigatewayv2AuthorizerJwtConfiguration(
                    issuer=f"https://{identity.user_pool.endpoint}",
                    audience=[identity.client.id],
                ),
            ),
            "cognito",
        )
        integrations = {}
        for name in sorted({route.function for route in settings.routes}):
            local = "http_" + name
            integrations[name] = proxy_integration(self, local, self.api, functions[name])
        for route in settings.routes:
            local = "http_" + edge.route_local_name(route.route)
            user = route.auth == "user"
            named(
                Apigatewayv2Route(
                    self,
                    f"{local}_route",
                    api_id=self.api.id,
                    route_key=route.route,
                    target=f"integrations/{integrations[route.function].id}",
                    authorization_type="JWT" if user else "NONE",
                    authorizer_id=authorizer.id if user else None,
                ),
                local,
            )
            source = f"{self.api.execution_arn}/*/{edge.route_source_path(route.route)}"
            invoke_permission(self, local, functions[route.function], source)
        self.stage = default_stage(
            self,
            "http",
            self.api,
            f"/aws/apigateway/{config.project.name}-api",
            Apigatewayv2StageDefaultRouteSettings(
                throttling_burst_limit=settings.throttling.burst_limit,
                throttling_rate_limit=settings.throttling.rate_limit,
            ),
        )
        custom_domain(self, config, "http", settings.domain, self.api, self.stage, certificate_arn)


class ProxyApi(Construct):
    """The subdomain proxy's own HTTP API: every request to its one function. Only the
    wildcard CloudFront distribution talks to it (no custom domain)."""

    def __init__(
        self, scope: TerraformStack, config: WhimsyConfig, function: LambdaFunction
    ) -> None:
        super().__init__(scope, "proxy_api")
        self.api = named(
            Apigatewayv2Api(self, "api", name=f"{config.project.name}-sites", protocol_type="HTTP"),
            "sites",
        )
        integration = proxy_integration(self, "sites", self.api, function)
        named(
            Apigatewayv2Route(
                self,
                "route",
                api_id=self.api.id,
                route_key="$default",
                target=f"integrations/{integration.id}",
            ),
            "sites",
        )
        invoke_permission(self, "sites", function, f"{self.api.execution_arn}/*/$default")
        assert config.sites.user_subdomains is not None
        throttling = config.sites.user_subdomains.throttling
        default_stage(
            self,
            "sites",
            self.api,
            f"/aws/apigateway/{config.project.name}-sites",
            Apigatewayv2StageDefaultRouteSettings(
                throttling_burst_limit=throttling.burst_limit,
                throttling_rate_limit=throttling.rate_limit,
            ),
        )
        # https://<id>.execute-api.<region>.amazonaws.com -> the origin's domain name
        self.origin_domain: str = Fn.replace(self.api.api_endpoint, "https://", "")
