"""The ACM certificate (us-east-1, for CloudFront and the APIs) validated through Route53."""

from __future__ import annotations

from cdktn import TerraformIterator, TerraformResourceLifecycle, TerraformStack
from cdktn_provider_aws.acm_certificate import AcmCertificate
from cdktn_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktn_provider_aws.provider import AwsProvider
from cdktn_provider_aws.route53_record import Route53Record
from constructs import Construct

from generator.config.models import WhimsyConfig
from generator.model import dns
from generator.stack.base import named


class Certificate(Construct):
    def __init__(self, scope: TerraformStack, config: WhimsyConfig, edge: AwsProvider) -> None:
        super().__init__(scope, "certificate")
        first, *rest = config.domains.certificate_names
        self.certificate = named(
            AcmCertificate(
                self,
                "certificate",
                provider=edge,
                domain_name=first,
                subject_alternative_names=rest or None,
                validation_method="DNS",
                key_algorithm="RSA_2048",
                lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            ),
            "site",
        )
        address = "aws_acm_certificate.site"
        records = named(
            Route53Record(
                self,
                "validation",
                for_each=TerraformIterator.from_list(
                    dns.validation_keys(list(config.domains.certificate_names))
                ),
                zone_id=config.domains.hosted_zone_id,
                name=dns.validation_option("resource_record_name", address),
                type=dns.validation_option("resource_record_type", address),
                records=[dns.validation_option("resource_record_value", address)],
                ttl=300,
                allow_overwrite=True,
            ),
            "certificate_validation",
        )
        self.validation = named(
            AcmCertificateValidation(
                self,
                "validated",
                provider=edge,
                certificate_arn=self.certificate.arn,
            ),
            "site",
        )
        # A for expression over the for_each records; cdktn has no typed form for it.
        self.validation.add_override(
            "validation_record_fqdns",
            "${[for record in aws_route53_record.certificate_validation : record.fqdn]}",
        )
        self.validation.node.add_dependency(records)
