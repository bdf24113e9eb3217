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
from generator.stack.settings import CLOUDFRONT_REGION

VALIDATION_FQDNS = "${[for record in aws_route53_record.certificate_validation : record.fqdn]}"


class Certificate(Construct):
    def __init__(self, scope: TerraformStack, config: WhimsyConfig, edge: AwsProvider) -> None:
        super().__init__(scope, "certificate")
        address = "aws_acm_certificate.site"
        self.records = named(
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
                # apex and *.apex share one validation record: let both entries own it.
                allow_overwrite=True,
            ),
            "certificate_validation",
        )
        # What CloudFront uses: the ARN once validated, so nothing races the validation.
        self.validated_arn = self._validated(config, "site", edge)
        self.api_arn = self.validated_arn
        has_api_domain = config.apis.http is not None or config.realtime.websocket is not None
        if has_api_domain and config.project.region != CLOUDFRONT_REGION:
            # API Gateway regional domains need a certificate in their own region. ACM asks
            # the same DNS records in every region of an account, so the records above do.
            self.api_arn = self._validated(config, "api_regional", None)

    def _validated(self, config: WhimsyConfig, local: str, provider: AwsProvider | None) -> str:
        """A DNS-validated certificate for all configured names; returns the validated ARN."""
        first, *rest = config.domains.certificate_names
        certificate = named(
            AcmCertificate(
                self,
                f"{local}_certificate",
                provider=provider,
                domain_name=first,
                subject_alternative_names=rest or None,
                validation_method="DNS",
                key_algorithm="RSA_2048",
                lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            ),
            local,
        )
        validation = named(
            AcmCertificateValidation(
                self, f"{local}_validated", provider=provider, certificate_arn=certificate.arn
            ),
            local,
        )
        # A for expression over the for_each records; cdktn has no typed form for it.
        validation.add_override("validation_record_fqdns", VALIDATION_FQDNS)
        validation.node.add_dependency(self.records)
        arn: str = validation.certificate_arn
        return arn
