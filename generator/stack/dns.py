"""Route53 alias records (A and AAAA) for sites and API domains."""

from __future__ import annotations

from cdktn_provider_aws.route53_record import Route53Record, Route53RecordAlias
from constructs import Construct

from generator.config.models import WhimsyConfig
from generator.stack.base import named


def alias_records(
    scope: Construct, config: WhimsyConfig, local: str, domain: str, target: str, zone: str
) -> None:
    for record_type in ("A", "AAAA"):
        named(
            Route53Record(
                scope,
                f"{local}_{record_type}",
                zone_id=config.domains.hosted_zone_id,
                name=domain,
                type=record_type,
                alias=Route53RecordAlias(name=target, zone_id=zone, evaluate_target_health=False),
            ),
            f"{local}_{record_type.lower()}",
        )
