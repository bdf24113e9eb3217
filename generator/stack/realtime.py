"""The collaboration WebSocket API. Routes, stage and domain come with the edge/API work;
the API exists now so that function roles can name it exactly."""

from __future__ import annotations

from cdktn import TerraformStack
from cdktn_provider_aws.apigatewayv2_api import Apigatewayv2Api
from constructs import Construct

from generator.config.models import WhimsyConfig
from generator.stack.base import named


class Realtime(Construct):
    def __init__(self, scope: TerraformStack, config: WhimsyConfig) -> None:
        super().__init__(scope, "realtime")
        named(
            Apigatewayv2Api(
                self,
                "websocket",
                name=f"{config.project.name}-collab",
                protocol_type="WEBSOCKET",
                route_selection_expression="$request.body.action",
            ),
            "realtime",
        )
