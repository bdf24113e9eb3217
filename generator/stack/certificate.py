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
        # What CloudFront uses: the ARN once validated, so nothing races the validation.
        self.validated_arn: str = self.validation.certificate_arn
        self.api_arn = self.validated_arn
        has_api_domain = config.apis.http is not None or config.realtime.websocket is not None
        if has_api_domain and config.project.region != CLOUDFRONT_REGION:
            self.api_arn = self._regional(config, records)

    def _regional(self, config: WhimsyConfig, records: Route53Record) -> str:
        """API Gateway regional domains need a certificate in their own region. ACM asks the
        same DNS records in every region of an account, so the records above validate it."""
        first, *rest = config.domains.certificate_names
        regional = named(
            AcmCertificate(
                self,
                "regional",
                domain_name=first,
                subject_alternative_names=rest or None,
                validation_method="DNS",
                key_algorithm="RSA_2048",
                lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            ),
            "api_regional",
        )
        validation = named(
            AcmCertificateValidation(self, "regional_validated", certificate_arn=regional.arn),
            "api_regional",
        )
        validation.add_override(
            "validation_record_fqdns",
            "${[for record in aws_route53_record.certificate_validation : record.fqdn]}",
        )
        validation.node.add_dependency(records)
        arn: str = validation.certificate_arn
        return arn
