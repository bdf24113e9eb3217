"""The whimsy config language: pydantic models of whimsy_config.yaml.

Every model forbids unknown keys and is strict (a number is not silently turned into a
string, nor "yes" into true). Each field's description states its default; `whimsy schema`
exports them for editors. Checks that span sections live in checks.py.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from generator.config import folders

REGION_PATTERN = (
    r"^(us|eu|ap|ca|sa|me|af|il|mx)(-gov)?-"
    r"(north|south|east|west|central|northeast|southeast|northwest|southwest)-[1-9]$"
)
DOMAIN_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_PATTERN = rf"^({DOMAIN_LABEL}\.)+[a-z]{{2,63}}$"
IDENTITY_ID_PATTERN = (
    r"^[a-z]{2}(-gov)?-[a-z]+-[1-9]:"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
FUNCTION_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,39}$"
WEBSOCKET_ROUTE_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
TAG_KEY_PATTERN = r"^(?!aws:)[\w .:/=+@-]{1,128}$"
TAG_VALUE_PATTERN = r"^[\w .:/=+@-]{0,256}$"
ENV_NAME_PATTERN = r"^(?!AWS_)[A-Za-z][A-Za-z0-9_]{0,127}$"
SECRET_NAME_PATTERN = r"^[A-Za-z0-9/_+=.@-]{1,512}$"
S3_SUFFIX_PATTERN = r"^[A-Za-z0-9!_.'()/-]{1,256}$"
ATTRIBUTE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,254}$"
CERTIFICATE_NAME_PATTERN = rf"^(\*\.)?({DOMAIN_LABEL}\.)+[a-z]{{2,63}}$"
VERSION_RANGE_PATTERN = r"^[~<>=!]*\s*\d+(\.\d+){0,2}(\s*,\s*[~<>=!]*\s*\d+(\.\d+){0,2})*$"
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

Region = Annotated[str, StringConstraints(pattern=REGION_PATTERN)]
DomainName = Annotated[str, StringConstraints(pattern=DOMAIN_PATTERN, max_length=253)]
FunctionName = Annotated[str, StringConstraints(pattern=FUNCTION_NAME_PATTERN)]
AttributeName = Annotated[str, StringConstraints(pattern=ATTRIBUTE_NAME_PATTERN)]
HttpsOrigin = Annotated[
    str, StringConstraints(pattern=r"^https://(\*\.)?([a-z0-9-]+\.)+[a-z]{2,63}(:[0-9]{1,5})?$")
]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, regex_engine="python-re")


def check_bucket_name(name: str) -> str:
    """S3 general-purpose bucket naming rules, in words an operator can act on."""
    if not 3 <= len(name) <= 63:
        raise ValueError(f"bucket name '{name}' must be 3 to 63 characters long")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        raise ValueError(
            f"bucket name '{name}' may use only lowercase letters, digits, dots and hyphens, "
            "and must start and end with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        raise ValueError(f"bucket name '{name}' must not contain '..', '.-' or '-.'")
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        raise ValueError(f"bucket name '{name}' must not look like an IP address")
    if name.startswith(("xn--", "sthree-")) or name.endswith(("-s3alias", "--ol-s3")):
        raise ValueError(f"bucket name '{name}' uses a prefix or suffix that AWS reserves")
    if "." in name:
        # Dots break virtual-hosted TLS (the *.s3 certificate covers one label only).
        raise ValueError(f"bucket name '{name}' must not contain dots (they break HTTPS access)")
    return name


# --- project -------------------------------------------------------------------------------


class StateBackend(Section):
    """Where Terraform keeps its state: an S3 bucket with S3-native locking (no DynamoDB)."""

    bucket: str = Field(description="S3 bucket holding the state (created outside whimsy).")
    key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.*'()/-]+\.tfstate$")] = Field(
        description="Object key of the state file; must end in .tfstate."
    )
    region: Region = Field(description="Region of the state bucket.")

    _bucket_name = field_validator("bucket")(check_bucket_name)


class Project(Section):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,19}$")] = Field(
        description="Short name, prefix of every resource name (lowercase, 2-20 characters)."
    )
    region: Region = Field(
        description="AWS region of the platform (bucket, tables, Cognito, APIs, functions)."
    )
    account_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")] | None = Field(
        default=None,
        description="AWS account id (12 digits, quoted). When set, Terraform refuses to run "
        "against any other account. Default: not pinned.",
    )
    tags: dict[
        Annotated[str, StringConstraints(pattern=TAG_KEY_PATTERN)],
        Annotated[str, StringConstraints(pattern=TAG_VALUE_PATTERN)],
    ] = Field(default_factory=dict, description="Tags applied to every resource. Default: none.")
    state: StateBackend = Field(description="Terraform state backend.")
    aws_provider_version: Annotated[str, StringConstraints(pattern=VERSION_RANGE_PATTERN)] = Field(
        default=">= 5.100, < 7.0",
        description="Version constraint for hashicorp/aws. Default: '>= 5.100, < 7.0'.",
    )

    @field_validator("tags")
    @classmethod
    def _tag_count(cls, tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > 40:
            raise ValueError("at most 40 tags (AWS allows 50 and whimsy adds its own)")
        return tags


# --- domains -------------------------------------------------------------------------------


class Domains(Section):
    apex: DomainName = Field(description="The platform's apex domain, e.g. whimsy.space.")
    hosted_zone_id: Annotated[str, StringConstraints(pattern=r"^Z[A-Z0-9]{1,31}$")] = Field(
        description="Id of the existing Route53 public hosted zone for the apex "
        "(given by id so that plan never needs to ask AWS)."
    )
    certificate_names: Annotated[
        list[Annotated[str, StringConstraints(pattern=CERTIFICATE_NAME_PATTERN)]],
        Field(min_length=1, max_length=10),
    ] = Field(
        description="Names on the ACM certificate (apex, '*.apex', ...). The first is the "
        "certificate's main name. A wildcard covers exactly one label."
    )


# --- auth ----------------------------------------------------------------------------------


class PasswordPolicy(Section):
    min_length: Annotated[int, Field(ge=8, le=99)] = Field(
        default=12, description="Minimum length. Default: 12."
    )
    require_lowercase: bool = Field(default=True, description="Default: true.")
    require_uppercase: bool = Field(default=True, description="Default: true.")
    require_numbers: bool = Field(default=True, description="Default: true.")
    require_symbols: bool = Field(default=False, description="Default: false.")
    temporary_password_days: Annotated[int, Field(ge=1, le=365)] = Field(
        default=7, description="Days an admin-issued temporary password stays valid. Default: 7."
    )


class TokenLifetimes(Section):
    access_token_minutes: Annotated[int, Field(ge=5, le=1440)] = Field(
        default=60, description="Default: 60."
    )
    id_token_minutes: Annotated[int, Field(ge=5, le=1440)] = Field(
        default=60, description="Default: 60."
    )
    refresh_token_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=30, description="Default: 30."
    )


class UserPool(Section):
    name: Annotated[str, StringConstraints(pattern=r"^[\w\s+=,.@-]{1,128}$")] = Field(
        description="Name of the Cognito user pool."
    )
    sign_in_with: Annotated[list[Literal["email", "phone_number"]], Field(min_length=1)] = Field(
        default_factory=lambda: ["email"],  # type: ignore[arg-type]
        description="Attributes users sign in with. Default: [email].",
    )
    password: PasswordPolicy = Field(default_factory=PasswordPolicy)
    mfa: Literal["off", "optional", "required"] = Field(
        default="optional", description="Multi-factor auth (TOTP apps). Default: optional."
    )
    verify_email: bool = Field(
        default=True, description="Send a code to verify email addresses. Default: true."
    )
    tokens: TokenLifetimes = Field(default_factory=TokenLifetimes)
    deletion_protection: bool = Field(
        default=True, description="Refuse to delete the pool (and its users). Default: true."
    )


class IdentityPool(Section):
    name: Annotated[str, StringConstraints(pattern=r"^[\w ]{1,128}$")] = Field(
        description="Name of the Cognito identity pool (letters, digits, _ and spaces)."
    )
    allow_guests: bool = Field(
        default=False,
        description="Give signed-out visitors AWS credentials (with no grants). Default: false.",
    )


class Auth(Section):
    user_pool: UserPool
    identity_pool: IdentityPool
    admin_group: Annotated[str, StringConstraints(pattern=r"^[\w+=,.@-]{1,128}$")] | None = Field(
        default=None,
        description="Cognito group whose members get the admin role (write system config "
        "tables). Default: no admin group.",
    )


# --- storage -------------------------------------------------------------------------------

OwnerAction = Literal["read", "write", "delete", "list"]


class FolderRule(Section):
    """Who may do what under a path of a user's folder."""

    path: str = Field(
        description="Path pattern starting with {identity}/ (the caller's Cognito identity id): "
        "'{identity}/*' is the whole folder, '{identity}/public/*' a subfolder, "
        "'{identity}/public/whimsy.space/profile.json' one file."
    )
    owner: list[OwnerAction] = Field(
        default_factory=list,
        description="What the folder's owner may do: read, write, delete, list. Default: none.",
    )
    anyone: list[Literal["read"]] = Field(
        default_factory=list,
        description="What anyone on the internet may do: only read. Default: nothing.",
    )
    well_known: Literal["profile", "services"] | None = Field(
        default=None,
        description="Marks a well-known file that the catalog indexes. Default: none.",
    )
    description: str | None = Field(default=None, description="Why the rule exists.")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        folders.parse(value)
        return value

    @field_validator("owner", "anyone")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists an action twice")
        return value


class Lifecycle(Section):
    noncurrent_version_expiration_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=30, description="Delete overwritten/deleted versions after N days. Default: 30."
    )
    abort_incomplete_multipart_days: Annotated[int, Field(ge=1, le=365)] = Field(
        default=7, description="Abort unfinished multipart uploads after N days. Default: 7."
    )


class Storage(Section):
    bucket: str = Field(description="The user-files bucket, e.g. whimsy-fs.")
    log_bucket: str | None = Field(
        default=None, description="Bucket for server access logs. Default: '<bucket>-logs'."
    )
    cors_origins: list[HttpsOrigin] = Field(
        default_factory=list,
        description="Browser origins allowed to use the S3 API from JavaScript "
        "(https only; one leading '*.' allowed). Default: none.",
    )
    versioning: bool = Field(default=True, description="Keep object versions. Default: true.")
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    folders: Annotated[list[FolderRule], Field(min_length=1)] = Field(
        description="Folder rules; grants add up, a narrower rule cannot take one away."
    )

    _bucket_names = field_validator("bucket", "log_bucket")(check_bucket_name)

    @property
    def log_bucket_name(self) -> str:
        return self.log_bucket or f"{self.bucket}-logs"


# --- kv ------------------------------------------------------------------------------------


class KvTable(Section):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,255}$")] = Field(
        description="DynamoDB table name (3-255 of letters, digits, _ . -)."
    )
    access: Literal["per_user", "system_config", "service"] = Field(
        description="per_user: each signed-in user reads and writes only the items whose "
        "partition key is their identity id. system_config: signed-in users read, the admin "
        "group writes. service: no user access; only functions that list it under access."
    )
    partition_key: AttributeName = Field(
        default="pk", description="Partition key attribute (string). Default: pk."
    )
    sort_key: AttributeName | None = Field(
        default="sk", description="Sort key attribute (string), or null. Default: sk."
    )
    point_in_time_recovery: bool = Field(default=True, description="Default: true.")
    deletion_protection: bool = Field(default=True, description="Default: true.")


class Kv(Section):
    tables: list[KvTable] = Field(default_factory=list)


# --- sites ---------------------------------------------------------------------------------


class Caching(Section):
    default_ttl_seconds: Annotated[int, Field(ge=0, le=31536000)] = Field(
        default=300, description="Default: 300."
    )
    max_ttl_seconds: Annotated[int, Field(ge=0, le=31536000)] = Field(
        default=86400, description="Default: 86400."
    )


class ApexSite(Section):
    domain: DomainName
    bucket: str = Field(description="Bucket holding the site's files (served only via CloudFront).")
    default_root_object: str = Field(default="index.html", description="Default: index.html.")
    cache_api: bool = Field(
        default=False, description="Serve /api/* from the HTTP API, caching GETs. Default: false."
    )
    caching: Caching = Field(default_factory=Caching)

    _bucket_name = field_validator("bucket")(check_bucket_name)


class LegacyUserSite(Section):
    """A dedicated distribution serving one user's public folder (danielx.whimsy.space)."""

    domain: DomainName
    identity_id: Annotated[str, StringConstraints(pattern=IDENTITY_ID_PATTERN)] = Field(
        description="The user's Cognito identity id, e.g. us-east-1:e4d94092-...; the origin "
        "is <bucket>/<identity_id>/public."
    )
    caching: Caching = Field(default_factory=Caching)


HANDLE_PATTERN = r"^(?!-)[a-z0-9-]{1,63}(?<!-)$"
Handle = Annotated[str, StringConstraints(pattern=HANDLE_PATTERN)]
IdentityId = Annotated[str, StringConstraints(pattern=IDENTITY_ID_PATTERN)]
DEFAULT_RESERVED_HANDLES = [
    "admin", "api", "app", "assets", "cdn", "collab", "docs", "help", "mail", "root",
    "smtp", "static", "status", "support", "whimsy", "www",
]  # fmt: skip


class Throttling(Section):
    rate_limit: Annotated[int, Field(ge=1, le=10000)] = Field(
        default=50, description="Steady requests per second. Default: 50."
    )
    burst_limit: Annotated[int, Field(ge=1, le=5000)] = Field(
        default=100, description="Burst. Default: 100."
    )


class UserSubdomains(Section):
    """<handle>.<apex> for every user, through the subdomain proxy function."""

    proxy_function: FunctionName
    handles_table: str = Field(
        description="kv table (access: service, partition key pk) holding handle <-> identity."
    )
    usage_table: str | None = Field(
        default=None,
        description="kv table (access: service, keys pk/sk) receiving usage counters. "
        "Default: no metering.",
    )
    reserved_handles: list[Handle] = Field(
        default_factory=lambda: list(DEFAULT_RESERVED_HANDLES),
        description="Handles nobody may claim. Default: admin, api, app, assets, cdn, collab, "
        "docs, help, mail, root, smtp, static, status, support, whimsy, www.",
    )
    seed_handles: dict[Handle, IdentityId] = Field(
        default_factory=dict,
        description="Handles owned from the start (existing users), handle: identity id.",
    )
    caching: Caching = Field(default_factory=Caching)
    throttling: Throttling = Field(
        default_factory=Throttling,
        description="Limits on the proxy's API, which anyone can call directly (bypassing "
        "CloudFront's cache). Default: 50 per second, bursts of 100.",
    )


class Sites(Section):
    log_bucket: str | None = Field(
        default=None,
        description="Bucket for CloudFront access logs (CloudFront writes them with ACLs, so "
        "it cannot share the ACL-less storage log bucket). Default: '<storage.bucket>-cdn-logs'.",
    )
    apex: ApexSite | None = None
    legacy_user_sites: list[LegacyUserSite] = Field(default_factory=list)
    user_subdomains: UserSubdomains | None = None

    _bucket_name = field_validator("log_bucket")(check_bucket_name)


# --- apis ----------------------------------------------------------------------------------

_PARAM = r"\{[A-Za-z_][A-Za-z0-9_]*\}"
_GREEDY = r"\{[A-Za-z_][A-Za-z0-9_]*\+\}"
ROUTE_PATTERN = (
    r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) "
    rf"(/|(/([A-Za-z0-9._~-]+|{_PARAM}))+(/{_GREEDY})?|/{_GREEDY})$"
)


class Route(Section):
    route: Annotated[str, StringConstraints(pattern=ROUTE_PATTERN)] = Field(
        description="'METHOD /path', path parameters as {name}, a final greedy {name+}."
    )
    function: FunctionName
    auth: Literal["none", "user"] = Field(
        description="user: requires a valid Cognito token (JWT authorizer). none: public."
    )


class HttpApi(Section):
    domain: DomainName
    cors_origins: list[HttpsOrigin] = Field(default_factory=list)
    throttling: Throttling = Field(default_factory=Throttling)
    routes: Annotated[list[Route], Field(min_length=1)]


class Apis(Section):
    http: HttpApi | None = None


# --- functions -----------------------------------------------------------------------------


class BucketAccess(Section):
    prefix: str = Field(
        description="Folder pattern in the user-files bucket, e.g. '{identity}/uploads/*' "
        "(any user's uploads folder) or '{identity}/public/whimsy.space/profile.json'."
    )
    actions: Annotated[list[OwnerAction], Field(min_length=1)]

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        folders.parse(value)
        return value


class TableAccess(Section):
    table: str
    actions: Annotated[list[Literal["read", "write"]], Field(min_length=1)]


class FunctionAccess(Section):
    bucket: list[BucketAccess] = Field(default_factory=list)
    tables: list[TableAccess] = Field(default_factory=list)
    websocket_management: bool = Field(
        default=False, description="May post to WebSocket connections. Default: false."
    )


class S3Trigger(Section):
    """Invoke the function when objects of the user-files bucket change."""

    suffix: Annotated[str, StringConstraints(pattern=S3_SUFFIX_PATTERN)] = Field(
        description="Key suffix, e.g. public/whimsy.space/profile.json (S3 filters cannot "
        "anchor a path below the identity folder, so the function must check the key)."
    )
    events: Annotated[list[Literal["created", "removed"]], Field(min_length=1)]


SecretName = Annotated[str, StringConstraints(pattern=SECRET_NAME_PATTERN)]
EnvName = Annotated[str, StringConstraints(pattern=ENV_NAME_PATTERN)]


class Function(Section):
    description: str = Field(default="", description="What the function does.")
    handler: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*\.[A-Za-z_]\w*$")] = Field(
        default="handler.handler", description="module.function. Default: handler.handler."
    )
    runtime: Literal["python3.12", "python3.13"] = Field(
        default="python3.12", description="Default: python3.12."
    )
    architecture: Literal["arm64", "x86_64"] = Field(default="arm64", description="Default: arm64.")
    memory_mb: Annotated[int, Field(ge=128, le=10240)] = Field(
        default=256, description="Default: 256."
    )
    timeout_seconds: Annotated[int, Field(ge=1, le=900)] = Field(
        default=10, description="Default: 10."
    )
    reserved_concurrency: Annotated[int, Field(ge=0, le=1000)] | None = Field(
        default=None, description="Reserved concurrent executions. Default: unreserved."
    )
    log_retention_days: int = Field(default=30, description="Log retention. Default: 30.")
    env: dict[EnvName, str] = Field(
        default_factory=dict, description="Plain environment variables (no secrets)."
    )
    secrets: list[SecretName] = Field(
        default_factory=list,
        description="Secrets Manager secret names the function may read (passed by name).",
    )
    access: FunctionAccess = Field(default_factory=FunctionAccess)
    s3_triggers: list[S3Trigger] = Field(
        default_factory=list, description="User-files bucket events that invoke it."
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
            raise ValueError(f"must be one of the values CloudWatch accepts: {allowed}")
        return value


# --- realtime ------------------------------------------------------------------------------


class WebSocketApi(Section):
    domain: DomainName
    function: FunctionName = Field(
        description="Handles $connect (also as the REQUEST authorizer, token in the 'token' "
        "query parameter), $disconnect, $default and the named routes."
    )
    routes: list[Annotated[str, StringConstraints(pattern=WEBSOCKET_ROUTE_PATTERN)]] = Field(
        default_factory=list,
        description="Named routes, selected by the 'action' field of a message "
        "($connect, $disconnect and $default always exist). Default: none.",
    )
    throttling: Throttling = Field(default_factory=Throttling)
    max_message_bytes: Annotated[int, Field(ge=1024, le=128 * 1024)] = Field(
        default=32 * 1024, description="Largest accepted message. Default: 32768."
    )


class Realtime(Section):
    websocket: WebSocketApi | None = None


# --- the whole file ------------------------------------------------------------------------


class GitHubDelivery(Section):
    """GitHub Actions deploys the platform with short-lived credentials (OIDC, no keys)."""

    repository: Annotated[
        str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
    ] = Field(description="owner/name of the operators' repository on GitHub.")
    branch: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._/-]{1,100}$")] = Field(
        default="main", description="Only workflows on this branch may deploy. Default: main."
    )
    environment: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,100}$")] | None = (
        Field(
            default=None,
            description="When set, only jobs in this GitHub environment may deploy (instead of "
            "the branch rule), so GitHub's required reviewers gate every apply. Default: none.",
        )
    )


class Delivery(Section):
    github: GitHubDelivery | None = Field(
        default=None,
        description="Generate the GitHub OIDC provider, a deploy role for the main branch, a "
        "read-only plan role for pull requests, and the boundary that caps platform roles. "
        "Default: none (deploy by hand).",
    )


# --- adopt ---------------------------------------------------------------------------------

USER_POOL_ID_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-[1-9]_[0-9A-Za-z]{1,55}$"
APP_CLIENT_ID_PATTERN = r"^[\w+]{1,128}$"  # as the Cognito API documents it
CERTIFICATE_ARN_PATTERN = (
    r"^arn:aws:acm:[a-z]{2}(-gov)?-[a-z]+-[1-9]:[0-9]{12}:certificate/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
DISTRIBUTION_ID_PATTERN = r"^E[A-Z0-9]{5,20}$"
RECORD_NAME_PATTERN = rf"^(\*\.)?({DOMAIN_LABEL}\.)+[a-z]{{2,63}}$"

BucketPart = Literal[
    "policy",
    "versioning",
    "cors",
    "lifecycle",
    "notification",
    "public_access_block",
    "ownership",
    "encryption",
    "logging",
]
# Parts whose current settings the first apply overwrites with whimsy's: each one that exists
# must be confirmed in `replace` (whatever it holds today is gone after the apply).
REPLACED_BUCKET_PARTS: tuple[str, ...] = ("policy", "cors", "lifecycle", "notification")


class AdoptedUserPool(Section):
    id: Annotated[str, StringConstraints(pattern=USER_POOL_ID_PATTERN)] = Field(
        description="Id of the existing user pool (<region>_<id>): Cognito names are not unique."
    )
    client_id: Annotated[str, StringConstraints(pattern=APP_CLIENT_ID_PATTERN)] | None = Field(
        default=None,
        description="Id of the existing app client that browser apps use. Default: none "
        "(whimsy creates a client).",
    )
    client_auth_flows: list[str] = Field(
        default_factory=list,
        description="The existing client's explicit auth flows (whimsy adopt reads them). "
        "Default: none.",
    )
    remove_auth_flows: bool = Field(
        default=False,
        description="Confirms that the first apply removes the client's auth flows that whimsy "
        "does not allow (e.g. USER_PASSWORD_AUTH that legacy apps may still use). Default: false.",
    )


class AdoptedIdentityPool(Section):
    id: Annotated[str, StringConstraints(pattern=IDENTITY_ID_PATTERN)] = Field(
        description="Id of the existing identity pool (<region>:<uuid>): its identity ids name "
        "every user's folder."
    )
    roles_attached: bool = Field(
        default=True,
        description="Whether the pool has roles set today (its roles attachment is imported). "
        "Default: true.",
    )


class AdoptedBucket(Section):
    name: str = Field(description="An existing bucket the config declares.")
    existing: list[BucketPart] = Field(
        default_factory=list,
        description="Its sub-configurations that exist today (each is imported; importing an "
        "absent one fails the plan). Default: none.",
    )
    replace: list[BucketPart] = Field(
        default_factory=list,
        description="Existing sub-configurations (policy, cors, lifecycle, notification) whose "
        "current settings you confirm the first apply replaces. Default: none.",
    )
    expire_noncurrent_versions: bool = Field(
        default=False,
        description="Confirms that the lifecycle rule may delete old object versions of a "
        "bucket that keeps them today. Default: false.",
    )

    _bucket_name = field_validator("name")(check_bucket_name)


class AdoptedRecord(Section):
    name: Annotated[str, StringConstraints(pattern=RECORD_NAME_PATTERN)] = Field(
        description="Record name, e.g. '*.whimsy.space'."
    )
    type: Literal["A", "AAAA", "CNAME"]


class Adopt(Section):
    """Resources that exist already: imported by the first apply, never created anew."""

    user_pool: AdoptedUserPool | None = None
    identity_pool: AdoptedIdentityPool | None = None
    buckets: list[AdoptedBucket] = Field(default_factory=list)
    tables: list[str] = Field(default_factory=list, description="Existing tables, by name.")
    certificate_arn: Annotated[str, StringConstraints(pattern=CERTIFICATE_ARN_PATTERN)] | None = (
        Field(default=None, description="ARN of the existing certificate.")
    )
    distributions: dict[
        DomainName, Annotated[str, StringConstraints(pattern=DISTRIBUTION_ID_PATTERN)]
    ] = Field(
        default_factory=dict,
        description="Existing CloudFront distributions by the site domain they serve.",
    )
    dns_records: list[AdoptedRecord] = Field(
        default_factory=list,
        description="Existing Route53 records in the hosted zone that whimsy's records replace "
        "(e.g. today's wildcard record pointing at the old proxy).",
    )


class Retired(Section):
    """Stateful resources whimsy stops managing and leaves in AWS, data and all."""

    tables: list[str] = Field(
        default_factory=list, description="Tables removed from kv.tables, by name."
    )
    addresses: list[
        Annotated[str, StringConstraints(pattern=r"^aws_[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_-]*$")]
    ] = Field(
        default_factory=list,
        description="Other stateful resources by their Terraform address in the previous "
        "out/terraform/main.tf.json (e.g. aws_s3_bucket.site).",
    )


class WhimsyConfig(Section):
    """whimsy_config.yaml: the Whimsy.Space platform, declared."""

    version: Annotated[int, Field(ge=1, le=1)] = Field(
        default=1, description="Config format version; only 1 exists. Default: 1."
    )
    project: Project
    domains: Domains
    auth: Auth
    storage: Storage
    kv: Kv = Field(default_factory=Kv)
    sites: Sites = Field(default_factory=Sites)
    apis: Apis = Field(default_factory=Apis)
    functions: dict[FunctionName, Function] = Field(
        default_factory=dict, description="One entry per folder in lambdas/."
    )
    realtime: Realtime = Field(default_factory=Realtime)
    delivery: Delivery = Field(default_factory=Delivery)
    adopt: Adopt = Field(
        default_factory=Adopt,
        description="What already exists in the account (imported, never created). Default: "
        "nothing (a new platform).",
    )
    retired: Retired = Field(
        default_factory=Retired,
        description="Tables and buckets no longer in the config, kept in AWS. Default: none.",
    )
