"""Policies of the user-files bucket, derived from the folder rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.config import folders
from generator.config.models import FolderRule, WhimsyConfig
from generator.model import names

Statement = dict[str, Any]

# What each folder-rule word grants on objects. Version actions are left out on purpose:
# versioning lets operators recover overwritten or deleted files, so users may not purge it.
OBJECT_ACTIONS = {
    "read": ["s3:GetObject"],
    "write": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
    "delete": ["s3:DeleteObject"],
}


def _object_resource(bucket: str, owner: str, pattern: folders.FolderPattern) -> str:
    suffix = "*" if pattern.subtree else ""
    return f"{names.bucket_arn(bucket)}/{owner}/{pattern.relative_prefix}{suffix}"


def _sid(prefix: str, index: int, pattern: folders.FolderPattern) -> str:
    words = "".join(
        part[:1].upper() + part[1:]
        for segment in pattern.segments
        for part in segment.replace(".", "-").replace("_", "-").split("-")
        if part.isalnum()
    )
    return f"{prefix}{index}{words or 'Root'}"[:100]


def folder_statements(
    bucket: str, owner: str, grants: Sequence[tuple[str, Sequence[str]]], sid_prefix: str
) -> list[Statement]:
    """Statements for (folder path, actions) grants in the folder(s) of `owner`: an identity
    id's policy variable (a user on their own folder) or the id pattern (a function acting
    for every user)."""
    statements: list[Statement] = []
    for index, (path, words) in enumerate(grants):
        pattern = folders.parse(path)
        actions = sorted({a for word in words for a in OBJECT_ACTIONS.get(word, [])})
        if actions:
            statements.append(
                {
                    "Sid": _sid(sid_prefix, index, pattern) + "Objects",
                    "Effect": "Allow",
                    "Action": actions,
                    "Resource": _object_resource(bucket, owner, pattern),
                }
            )
        if "list" in words:
            prefix = f"{owner}/{pattern.relative_prefix}"
            statements.append(
                {
                    "Sid": _sid(sid_prefix, index, pattern) + "List",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": names.bucket_arn(bucket),
                    # s3:prefix is what ListObjects asks for; only inside the granted folder.
                    "Condition": {"StringLike": {"s3:prefix": [prefix, prefix + "*"]}},
                }
            )
    return statements


def owner_statements(bucket: str, owner: str, rules: list[FolderRule]) -> list[Statement]:
    """A user's grants on their own folder, per the folder rules."""
    return folder_statements(bucket, owner, [(r.path, list(r.owner)) for r in rules], "Folder")


def tls_only_statement(resources: list[str]) -> Statement:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def public_read_resources(config: WhimsyConfig) -> list[str]:
    """Object patterns anyone may read: exactly <identity-id>/<public path>, never nested."""
    owner = names.identity_id_pattern(config.project.region)
    bucket = config.storage.bucket
    return [
        _object_resource(bucket, owner, folders.parse(rule.path))
        for rule in config.storage.folders
        if "read" in rule.anyone
    ]


def user_files_bucket_policy(config: WhimsyConfig) -> dict[str, Any]:
    arn = names.bucket_arn(config.storage.bucket)
    statements = [tls_only_statement([arn, f"{arn}/*"])]
    public = public_read_resources(config)
    if public:
        statements.append(
            {
                "Sid": "PublicFolders",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": public if len(public) > 1 else public[0],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def has_public_folders(config: WhimsyConfig) -> bool:
    return any(rule.anyone for rule in config.storage.folders)


def log_bucket_policy(config: WhimsyConfig) -> dict[str, Any]:
    arn = names.bucket_arn(names.log_bucket(config))
    delivery: Statement = {
        "Sid": "ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{arn}/{config.storage.bucket}/*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": names.bucket_arn(config.storage.bucket)},
        },
    }
    if config.project.account_id:
        delivery["Condition"]["StringEquals"] = {"aws:SourceAccount": config.project.account_id}
    return {"Version": "2012-10-17", "Statement": [tls_only_statement([arn, f"{arn}/*"]), delivery]}
