"""The Whimsy.Space account as it runs today (../shared/seed/whimsy-space-aws-structure.txt),
made with plain boto3 calls only, and its inventory: what adoption must not lose.

Works against any endpoint (moto in process, ministack): `client(service)` makes the clients.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Client = Callable[[str], Any]

REGION = "us-east-1"
BUCKET = "whimsy-fs"
TABLE = "whimsy-user-data"
POOL_NAME = "whimsy-users"
IDENTITY_POOL_NAME = "whimsy_identities"
APEX = "whimsy.space"
LEGACY_CLIENT_FLOWS = [
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
]
# the seed's bucket policy: anything under any '*/public/' is public, at any depth
SEED_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*/public/*",
        }
    ],
}
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"  # the hosted zone of every CloudFront alias target


@dataclass
class LegacyUser:
    email: str
    password: str
    identity_id: str = ""


@dataclass
class Legacy:
    user_pool_id: str = ""
    client_id: str = ""
    identity_pool_id: str = ""
    zone_id: str = ""
    certificate_arn: str = ""
    distribution_id: str = ""
    distribution_domain: str = ""
    users: list[LegacyUser] = field(default_factory=list)

    @property
    def provider(self) -> str:
        return f"cognito-idp.{REGION}.amazonaws.com/{self.user_pool_id}"


def build(client: Client, users: int = 3, versions: int = 3) -> Legacy:
    legacy = Legacy()
    _user_pool(client, legacy, users)
    _identity_pool(client, legacy)
    for user in legacy.users:
        user.identity_id = identity_id_of(client, legacy, user)
    _bucket(client, legacy, versions)
    _table(client, legacy)
    _certificate(client, legacy)
    _distribution(client, legacy)
    _zone(client, legacy)
    return legacy


def _user_pool(client: Client, legacy: Legacy, users: int) -> None:
    idp = client("cognito-idp")
    legacy.user_pool_id = idp.create_user_pool(
        PoolName=POOL_NAME,
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 8}},  # older than whimsy's 12
    )["UserPool"]["Id"]
    legacy.client_id = idp.create_user_pool_client(
        UserPoolId=legacy.user_pool_id,
        ClientName="my-briefcase",
        GenerateSecret=False,
        ExplicitAuthFlows=LEGACY_CLIENT_FLOWS,
    )["UserPoolClient"]["ClientId"]
    for i in range(users):
        user = LegacyUser(email=f"user{i}@example.com", password=f"Old-Passw0rd-{i}!")
        idp.admin_create_user(
            UserPoolId=legacy.user_pool_id,
            Username=user.email,
            UserAttributes=[
                {"Name": "email", "Value": user.email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        idp.admin_set_user_password(
            UserPoolId=legacy.user_pool_id, Username=user.email, Password=user.password,
            Permanent=True,
        )  # fmt: skip
        legacy.users.append(user)


def _identity_pool(client: Client, legacy: Legacy) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        ],
    }
    role = client("iam").create_role(
        RoleName="Cognito_whimsyAuth_Role", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    identity = client("cognito-identity")
    legacy.identity_pool_id = identity.create_identity_pool(
        IdentityPoolName=IDENTITY_POOL_NAME,
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": legacy.provider, "ClientId": legacy.client_id}],
    )["IdentityPoolId"]
    identity.set_identity_pool_roles(
        IdentityPoolId=legacy.identity_pool_id, Roles={"authenticated": role}
    )


def id_token(client: Client, legacy: Legacy, user: LegacyUser, client_id: str = "") -> str:
    """Sign in with the password (the legacy client allows USER_PASSWORD_AUTH)."""
    answer = client("cognito-idp").initiate_auth(
        ClientId=client_id or legacy.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.email, "PASSWORD": user.password},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def identity_id_of(client: Client, legacy: Legacy, user: LegacyUser) -> str:
    token = id_token(client, legacy, user)
    answer = client("cognito-identity").get_id(
        IdentityPoolId=legacy.identity_pool_id, Logins={legacy.provider: token}
    )
    return str(answer["IdentityId"])


def user_keys(user: LegacyUser) -> list[str]:
    folder = user.identity_id
    return [
        f"{folder}/notes/todo.txt",
        f"{folder}/public/index.html",
        f"{folder}/drafts/public/idea.txt",  # public under the seed's policy, not whimsy's
    ]


def _bucket(client: Client, legacy: Legacy, versions: int) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(SEED_POLICY))
    for user in legacy.users:
        for key in user_keys(user):
            for version in range(versions):
                s3.put_object(Bucket=BUCKET, Key=key, Body=f"{key} v{version}".encode())


def _table(client: Client, legacy: Legacy) -> None:
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "identity_id", "AttributeType": "S"},
            {"AttributeName": "key", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "identity_id", "KeyType": "HASH"},
            {"AttributeName": "key", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for user in legacy.users:
        for name in ("theme", "zineos/desktop"):
            dynamodb.put_item(
                TableName=TABLE,
                Item={"identity_id": {"S": user.identity_id}, "key": {"S": name},
                      "value": {"S": f"{name} of {user.email}"}},
            )  # fmt: skip


def _certificate(client: Client, legacy: Legacy) -> None:
    legacy.certificate_arn = client("acm").request_certificate(
        DomainName=APEX, SubjectAlternativeNames=[APEX, f"*.{APEX}"], ValidationMethod="DNS"
    )["CertificateArn"]


def _distribution(client: Client, legacy: Legacy) -> None:
    """danielx.whimsy.space, kept from the early experiments: its own distribution."""
    origin = f"{BUCKET}.s3.amazonaws.com"
    none = {"Quantity": 0, "Items": []}
    methods = {"Quantity": 2, "Items": ["GET", "HEAD"]}
    # every field the console sets: GetDistribution answers with all of them on AWS, and the
    # provider's read (at import) expects them
    answer = client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "danielx-legacy",
            "Aliases": {"Quantity": 1, "Items": [f"danielx.{APEX}"]},
            "DefaultRootObject": "index.html",
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "whimsy-fs", "DomainName": origin,
                "OriginPath": f"/{legacy.users[0].identity_id}/public",
                "CustomHeaders": none, "S3OriginConfig": {"OriginAccessIdentity": ""},
                "ConnectionAttempts": 3, "ConnectionTimeout": 10}]},
            "OriginGroups": none,
            "DefaultCacheBehavior": {
                "TargetOriginId": "whimsy-fs", "ViewerProtocolPolicy": "redirect-to-https",
                "AllowedMethods": {**methods, "CachedMethods": methods},
                "SmoothStreaming": False, "Compress": True,
                "LambdaFunctionAssociations": none, "FunctionAssociations": none,
                "FieldLevelEncryptionId": "",
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"},
                                    "Headers": none, "QueryStringCacheKeys": none},
                "TrustedSigners": {"Enabled": False, "Quantity": 0, "Items": []},
                "TrustedKeyGroups": {"Enabled": False, "Quantity": 0, "Items": []},
                "MinTTL": 0, "DefaultTTL": 86400, "MaxTTL": 31536000},
            "CacheBehaviors": none,
            "CustomErrorResponses": none,
            "Comment": "danielx.whimsy.space",
            "Logging": {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""},
            "PriceClass": "PriceClass_All",
            "Enabled": True,
            "ViewerCertificate": {"ACMCertificateArn": legacy.certificate_arn,
                                  "SSLSupportMethod": "sni-only",
                                  "MinimumProtocolVersion": "TLSv1.2_2021"},
            "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
            "WebACLId": "",
            "HttpVersion": "http2",
            "IsIPV6Enabled": True,
        }
    )  # fmt: skip
    legacy.distribution_id = answer["Distribution"]["Id"]
    legacy.distribution_domain = answer["Distribution"]["DomainName"]


def _zone(client: Client, legacy: Legacy) -> None:
    route53 = client("route53")
    zone = route53.create_hosted_zone(Name=APEX, CallerReference="whimsy-legacy")["HostedZone"]
    legacy.zone_id = zone["Id"].rsplit("/", 1)[-1]
    alias = {"HostedZoneId": CLOUDFRONT_ZONE, "DNSName": legacy.distribution_domain,
             "EvaluateTargetHealth": False}  # fmt: skip
    changes = [
        # the wildcard still points at the old (Glitch) proxy. Route53 lists '*' as '\052'
        # and the provider looks it up so; the emulator does not translate, so the record is
        # written as AWS lists it.
        {
            "Name": f"\\052.{APEX}",
            "Type": "A",
            "TTL": 300,
            "ResourceRecords": [{"Value": "192.0.2.10"}],
        },
        {"Name": f"danielx.{APEX}", "Type": "A", "AliasTarget": alias},
    ]
    route53.change_resource_record_sets(
        HostedZoneId=legacy.zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": c} for c in changes]},
    )


# --- inventory --------------------------------------------------------------------------------


def inventory(client: Client, legacy: Legacy) -> dict[str, Any]:
    """Everything adoption must keep: every object version with its ETag, every user, every
    item, and the ids apps and folders depend on."""
    s3 = client("s3")
    versions = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=BUCKET):
        versions += [(v["Key"], v["VersionId"], v["ETag"]) for v in page.get("Versions") or []]
    users = []
    for page in (
        client("cognito-idp").get_paginator("list_users").paginate(UserPoolId=legacy.user_pool_id)
    ):
        users += [(u["Username"], u["UserStatus"]) for u in page["Users"]]
    items = client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return {
        "versions": sorted(versions),
        "users": sorted(users),
        "items": sorted(json.dumps(i, sort_keys=True) for i in items),
        "user_pool_id": client("cognito-idp").describe_user_pool(
            UserPoolId=legacy.user_pool_id)["UserPool"]["Id"],
        "client_ids": sorted(c["ClientId"] for c in client("cognito-idp").list_user_pool_clients(
            UserPoolId=legacy.user_pool_id, MaxResults=60)["UserPoolClients"]),
        "identity_pool_ids": sorted(
            p["IdentityPoolId"] for p in client("cognito-identity").list_identity_pools(
                MaxResults=60)["IdentityPools"]),
        "user_pool_ids": sorted(p["Id"] for p in client("cognito-idp").list_user_pools(
            MaxResults=60)["UserPools"]),
    }  # fmt: skip
