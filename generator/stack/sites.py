"""CloudFront: the apex site, legacy per-user distributions and every user's subdomain."""

from __future__ import annotations

from cdktn import TerraformStack
from cdktn_provider_aws.cloudfront_cache_policy import (
    CloudfrontCachePolicy,
    CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOrigin as CacheKey,
    CloudfrontCachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigHeaders as HeaderList,
)
from cdktn_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionDefaultCacheBehaviorFunctionAssociation,
    CloudfrontDistributionOrderedCacheBehavior,
    CloudfrontDistributionOrderedCacheBehaviorFunctionAssociation,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktn_provider_aws.cloudfront_function import CloudfrontFunction
from cdktn_provider_aws.cloudfront_origin_access_control import CloudfrontOriginAccessControl
from cdktn_provider_aws.cloudfront_response_headers_policy import (
    CloudfrontResponseHeadersPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfig,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity,
)
from cdktn_provider_aws.provider import AwsProvider
from cdktn_provider_aws.s3_bucket import S3Bucket
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from generator.config.models import Caching, WhimsyConfig
from generator.model import edge, names
from generator.model.refs import tf_ref
from generator.stack.base import named, policy_json
from generator.stack.dns import alias_records
from generator.stack.user_files import (
    add_lifecycle,
    expire_everything,
    public_access_block,
    secure_bucket,
)

TLS_POLICY = "TLSv1.2_2021"
PRICE_CLASS = "PriceClass_100"
READ_METHODS = ["GET", "HEAD"]
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
CDN_LOG_DAYS = 365


def https_origin(origin_id: str, domain: str) -> CloudfrontDistributionOrigin:
    """An API Gateway origin, spoken to over TLS 1.2 only."""
    return CloudfrontDistributionOrigin(
        origin_id=origin_id,
        domain_name=domain,
        custom_origin_config={
            "http_port": 80,
            "https_port": 443,
            "origin_protocol_policy": "https-only",
            "origin_ssl_protocols": ["TLSv1.2"],
        },
    )


class Sites(Construct):
    def __init__(
        self,
        scope: TerraformStack,
        config: WhimsyConfig,
        edge_provider: AwsProvider,
        certificate_arn: str,
        api_domain: str | None,
        proxy_origin: str | None,
    ) -> None:
        super().__init__(scope, "sites")
        self.distributions: dict[str, CloudfrontDistribution] = {}
        self.config = config
        self.edge_provider = edge_provider
        self.certificate_arn = certificate_arn
        self.logs = self._log_bucket()
        self.headers = self._security_headers()
        sites = config.sites
        if sites.apex:
            self._apex(api_domain)
        for site in sites.legacy_user_sites:
            self._legacy(site.domain, site.identity_id, site.caching)
        if sites.user_subdomains and proxy_origin is not None:
            self._subdomains(proxy_origin, sites.user_subdomains.caching)

    # --- shared pieces ---------------------------------------------------------------------

    def _log_bucket(self) -> S3Bucket:
        """CloudFront standard logs are delivered with ACLs: this bucket alone allows them
        (owner-preferred ownership), and blocks every public access."""
        bucket = secure_bucket(
            self, "cdn_logs", edge.cdn_log_bucket(self.config), ownership="BucketOwnerPreferred"
        )
        block = public_access_block(self, "cdn_logs", bucket)
        named(
            S3BucketPolicy(
                self,
                "cdn_logs_policy",
                bucket=bucket.id,
                policy=policy_json(edge.cdn_log_bucket_policy(self.config)),
                depends_on=[block],
            ),
            "cdn_logs",
        )
        add_lifecycle(self, "cdn_logs", bucket, expire_everything("expire-cdn-logs", CDN_LOG_DAYS))
        return bucket

    def _security_headers(self) -> CloudfrontResponseHeadersPolicy:
        return named(
            CloudfrontResponseHeadersPolicy(
                self,
                "security_headers",
                name=f"{self.config.project.name}-security-headers",
                security_headers_config=CloudfrontResponseHeadersPolicySecurityHeadersConfig(
                    strict_transport_security=CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity(
                        access_control_max_age_sec=63072000,
                        include_subdomains=True,
                        preload=True,
                        override=True,
                    ),
                    content_type_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions(
                        override=True
                    ),
                    frame_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions(
                        frame_option="SAMEORIGIN", override=True
                    ),
                    referrer_policy=CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy(
                        referrer_policy="strict-origin-when-cross-origin", override=True
                    ),
                ),
            ),
            "security",
        )

    def _name(self, local: str) -> str:
        return f"{self.config.project.name}-{local.replace('_', '-')}"

    def _cache_policy(
        self, local: str, caching: Caching, headers: list[str], query_strings: str = "none"
    ) -> str:
        header_config: dict[str, object] = {"header_behavior": "none"}
        if headers:
            header_config = {"header_behavior": "whitelist", "headers": HeaderList(items=headers)}
        policy = named(
            CloudfrontCachePolicy(
                self,
                f"{local}_cache",
                name=f"{self.config.project.name}-{local.replace('_', '-')}",
                min_ttl=0,
                default_ttl=caching.default_ttl_seconds,
                max_ttl=max(caching.max_ttl_seconds, caching.default_ttl_seconds),
                parameters_in_cache_key_and_forwarded_to_origin=CacheKey(
                    enable_accept_encoding_brotli=True,
                    enable_accept_encoding_gzip=True,
                    headers_config=header_config,
                    cookies_config={"cookie_behavior": "none"},
                    query_strings_config={
                        "query_string_behavior": "all" if local == "api" else "none"
                    },
                ),
            ),
            local,
        )
        policy_id: str = policy.id
        return policy_id

    def _function(self, local: str, code: str, comment: str) -> str:
        function = named(
            CloudfrontFunction(
                self,
                f"{local}_function",
                name=f"{self.config.project.name}-{local.replace('_', '-')}",
                runtime="cloudfront-js-2.0",
                code=code,
                comment=comment,
                publish=True,
            ),
            local,
        )
        arn: str = function.arn
        return arn

    def _distribution(
        self,
        local: str,
        domain: str,
        origins: list[CloudfrontDistributionOrigin],
        default: CloudfrontDistributionDefaultCacheBehavior,
        *,
        root_object: str | None = None,
        ordered: list[CloudfrontDistributionOrderedCacheBehavior] | None = None,
    ) -> None:
        distribution = named(
            CloudfrontDistribution(
                self,
                f"{local}_distribution",
                provider=self.edge_provider,
                comment=f"{domain} (whimsy)",
                enabled=True,
                is_ipv6_enabled=True,
                http_version="http2and3",
                price_class=PRICE_CLASS,
                aliases=[domain],
                default_root_object=root_object,
                origin=origins,
                default_cache_behavior=default,
                ordered_cache_behavior=ordered,
                viewer_certificate=CloudfrontDistributionViewerCertificate(
                    acm_certificate_arn=self.certificate_arn,
                    ssl_support_method="sni-only",
                    minimum_protocol_version=TLS_POLICY,
                ),
                restrictions=CloudfrontDistributionRestrictions(
                    geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(
                        restriction_type="none"
                    )
                ),
                logging_config={
                    "bucket": self.logs.bucket_domain_name,
                    "prefix": f"{local}/",
                    "include_cookies": False,
                },
            ),
            local,
        )
        self.distributions[local] = distribution
        alias_records(
            self,
            self.config,
            local,
            domain,
            distribution.domain_name,
            distribution.hosted_zone_id,
        )

    def _behavior(
        self, origin: str, cache_policy: str, methods: list[str], function_arn: str | None = None
    ) -> CloudfrontDistributionDefaultCacheBehavior:
        return CloudfrontDistributionDefaultCacheBehavior(
            target_origin_id=origin,
            viewer_protocol_policy="redirect-to-https",
            allowed_methods=methods,
            cached_methods=READ_METHODS,
            compress=True,
            cache_policy_id=cache_policy,
            response_headers_policy_id=self.headers.id,
            function_association=(
                [
                    CloudfrontDistributionDefaultCacheBehaviorFunctionAssociation(
                        event_type="viewer-request", function_arn=function_arn
                    )
                ]
                if function_arn
                else None
            ),
        )

    # --- the three kinds of site -----------------------------------------------------------

    def _apex(self, api_domain: str | None) -> None:
        site = self.config.sites.apex
        assert site is not None
        bucket = secure_bucket(self, "site", site.bucket)
        block = public_access_block(self, "site", bucket)
        access = named(
            CloudfrontOriginAccessControl(
                self,
                "site_oac",
                name=f"{self.config.project.name}-site",
                origin_access_control_origin_type="s3",
                signing_behavior="always",
                signing_protocol="sigv4",
            ),
            "site",
        )
        origins = [
            CloudfrontDistributionOrigin(
                origin_id="site",
                domain_name=bucket.bucket_regional_domain_name,
                origin_access_control_id=access.id,
            )
        ]
        ordered = None
        if site.cache_api and api_domain is not None:
            origins.append(https_origin("api", api_domain))
            # Authorization is part of the key: one caller's answer is never another's.
            api_cache = self._cache_policy("api", site.caching, ["Authorization"], "all")
            strip = self._function(
                "strip_api_prefix",
                edge.STRIP_API_PREFIX_CODE,
                "Maps /api/* to the HTTP API's own paths",
            )
            ordered = [
                CloudfrontDistributionOrderedCacheBehavior(
                    path_pattern="/api/*",
                    target_origin_id="api",
                    viewer_protocol_policy="https-only",
                    allowed_methods=ALL_METHODS,
                    cached_methods=READ_METHODS,
                    compress=True,
                    cache_policy_id=api_cache,
                    response_headers_policy_id=self.headers.id,
                    function_association=[
                        CloudfrontDistributionOrderedCacheBehaviorFunctionAssociation(
                            event_type="viewer-request", function_arn=strip
                        )
                    ],
                )
            ]
        default = self._behavior("site", edge.CACHING_OPTIMIZED, READ_METHODS)
        self._distribution(
            "apex",
            site.domain,
            origins,
            default,
            root_object=site.default_root_object,
            ordered=ordered,
        )
        named(
            S3BucketPolicy(
                self,
                "site_policy",
                bucket=bucket.id,
                depends_on=[block],
                policy=policy_json(
                    edge.site_bucket_policy(
                        site.bucket, tf_ref("aws_cloudfront_distribution.apex.arn")
                    )
                ),
            ),
            "site",
        )

    def _legacy(self, domain: str, identity_id: str, caching: Caching) -> None:
        """One user's public folder on its own distribution. The folder is public by the
        folder rules already (checked in config), so the origin needs no signing."""
        local = "user_site_" + names.logical(domain.split(".")[0])
        origin = CloudfrontDistributionOrigin(
            origin_id="public-folder",
            domain_name=f"{self.config.storage.bucket}.s3.{self.config.project.region}.amazonaws.com",
            origin_path=f"/{identity_id}/public",
        )
        cache = self._cache_policy(local, caching, [])
        behavior = self._behavior("public-folder", cache, READ_METHODS)
        self._distribution(local, domain, [origin], behavior, root_object="index.html")

    def _subdomains(self, proxy_origin: str, caching: Caching) -> None:
        apex = self.config.domains.apex
        origin = https_origin("proxy", proxy_origin)
        cache = self._cache_policy("user_subdomains", caching, [edge.HOST_HEADER])
        forward = self._function(
            "forward_host",
            edge.FORWARD_HOST_CODE,
            "Copies the viewer's Host for the subdomain proxy",
        )
        self._distribution(
            "user_subdomains",
            f"*.{apex}",
            [origin],
            self._behavior("proxy", cache, READ_METHODS, forward),
        )
