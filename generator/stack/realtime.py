"""The collaboration WebSocket API: authorized $connect, routes to one function, a stage
with throttling and logs, and its custom domain."""

from __future__ import annotations

import json

from cdktn import TerraformStack
from cdktn_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktn_provider_aws.apigatewayv2_api import Apigatewayv2Api
from cdktn_provider_aws.apigatewayv2_authorizer import Apigatewayv2Authorizer
from cdktn_provider_aws.apigatewayv2_integration import Apigatewayv2Integration
from cdktn_provider_aws.apigatewayv2_route import Apigatewayv2Route
from cdktn_provider_aws.apigatewayv2_stage import (
    Apigatewayv2Stage,
    Apigatewayv2StageAccessLogSettings,
    Apigatewayv2StageDefaultRouteSettings,
)
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktn_provider_aws.lambda_function import LambdaFunction
from constructs import Construct

from generator.config.models import WhimsyConfig
from generator.model import edge
from generator.stack.apis import access_log_group, custom_domain, invoke_permission
from generator.stack.base import named, permissions_boundary, policy_json

BUILT_IN_ROUTES = ("$connect", "$disconnect", "$default")
STAGE = "live"
TOKEN_SOURCE = "route.request.querystring.token"
PUSH_TO_CLOUDWATCH = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
WEBSOCKET_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "time": "$context.requestTimeEpoch",
        "ip": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "eventType": "$context.eventType",
        "connectionId": "$context.connectionId",
        "status": "$context.status",
        "caller": "$context.authorizer.principalId",
        "integrationLatencyMs": "$context.integrationLatency",
    },
    separators=(",", ":"),
)


def route_local(route: str) -> str:
    return "ws_" + route.lstrip("$").replace("-", "_")


class Realtime(Construct):
    def __init__(
        self,
        scope: TerraformStack,
        config: WhimsyConfig,
        function: LambdaFunction,
        certificate_arn: str,
    ) -> None:
        super().__init__(scope, "realtime")
        settings = config.realtime.websocket
        assert settings is not None
        self.api = named(
            Apigatewayv2Api(
                self,
                "websocket",
                name=f"{config.project.name}-collab",
                protocol_type="WEBSOCKET",
                route_selection_expression="$request.body.action",
            ),
            "realtime",
        )
        # The function verifies the Cognito token (?token=) as a REQUEST authorizer, so an
        # unauthenticated client never gets a connection at all.
        authorizer = named(
            Apigatewayv2Authorizer(
                self,
                "authorizer",
                api_id=self.api.id,
                name="cognito-token",
                authorizer_type="REQUEST",
                authorizer_uri=function.invoke_arn,
                identity_sources=[TOKEN_SOURCE],
            ),
            "realtime",
        )
        invoke_permission(
            self,
            "ws_authorizer",
            function,
            f"{self.api.execution_arn}/authorizers/{authorizer.id}",
        )
        integration = named(
            Apigatewayv2Integration(
                self,
                "integration",
                api_id=self.api.id,
                integration_type="AWS_PROXY",
                integration_uri=function.invoke_arn,
                integration_method="POST",
            ),
            "realtime",
        )
        for route in (*BUILT_IN_ROUTES, *settings.routes):
            local = route_local(route)
            connect = route == "$connect"
            named(
                Apigatewayv2Route(
                    self,
                    f"{local}_route",
                    api_id=self.api.id,
                    route_key=route,
                    target=f"integrations/{integration.id}",
                    authorization_type="CUSTOM" if connect else "NONE",
                    authorizer_id=authorizer.id if connect else None,
                ),
                local,
            )
            invoke_permission(self, local, function, f"{self.api.execution_arn}/*/{route}")
        account = self._logging_account(config)
        logs = access_log_group(self, "realtime", f"/aws/apigateway/{config.project.name}-collab")
        stage = named(
            Apigatewayv2Stage(
                self,
                "stage",
                api_id=self.api.id,
                name=STAGE,
                auto_deploy=True,
                default_route_settings=Apigatewayv2StageDefaultRouteSettings(
                    throttling_burst_limit=settings.throttling.burst_limit,
                    throttling_rate_limit=settings.throttling.rate_limit,
                    logging_level="ERROR",
                    data_trace_enabled=False,  # message bodies stay out of the logs
                ),
                access_log_settings=Apigatewayv2StageAccessLogSettings(
                    destination_arn=logs.arn, format=WEBSOCKET_LOG_FORMAT
                ),
                depends_on=[account],
            ),
            "realtime",
        )
        custom_domain(self, config, "realtime", settings.domain, self.api, stage, certificate_arn)

    def _logging_account(self, config: WhimsyConfig) -> ApiGatewayAccount:
        """WebSocket stage logs need the region's API Gateway account to have a log role."""
        role = named(
            IamRole(
                self,
                "logs_role",
                name=f"{config.project.name}-apigateway-logs",
                assume_role_policy=policy_json(edge.APIGATEWAY_LOGS_TRUST),
                permissions_boundary=permissions_boundary(config),
            ),
            "apigateway_logs",
        )
        named(
            IamRolePolicyAttachment(
                self, "logs_policy", role=role.name, policy_arn=PUSH_TO_CLOUDWATCH
            ),
            "apigateway_logs",
        )
        return named(ApiGatewayAccount(self, "account", cloudwatch_role_arn=role.arn), "this")
