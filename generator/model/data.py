"""Access to the key/value tables, derived from each table's access model."""

from __future__ import annotations

from typing import Any

from generator.config.models import KvTable, WhimsyConfig
from generator.model import names
from generator.model.refs import tf_ref

Statement = dict[str, Any]

# Item-level actions only: no Scan, no PartiQL, no table administration for users.
READ_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"]
WRITE_ACTIONS = [
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
]


def table_arn(table: KvTable) -> str:
    return tf_ref(f"{names.table_address(table.name)}.arn")


def sid(kind: str, table: KvTable) -> str:
    words = table.name.replace("_", "-").replace(".", "-").split("-")
    return kind + "".join(word.capitalize() for word in words)


def own_partition_statement(table: KvTable, owner: str) -> Statement:
    """Read/write only items whose partition key is the caller's identity id."""
    return {
        "Sid": sid("OwnItems", table),
        "Effect": "Allow",
        "Action": sorted(READ_ACTIONS + WRITE_ACTIONS),
        "Resource": table_arn(table),
        "Condition": {
            "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [owner]},
            # ForAllValues is true when the key is absent (a Scan); demand that it is present.
            "Null": {"dynamodb:LeadingKeys": "false"},
        },
    }


def user_statements(config: WhimsyConfig) -> list[Statement]:
    statements: list[Statement] = []
    for table in config.kv.tables:
        if table.access == "per_user":
            statements.append(own_partition_statement(table, names.IDENTITY_VARIABLE))
        elif table.access == "system_config":
            statements.append(
                {
                    "Sid": sid("ReadConfig", table),
                    "Effect": "Allow",
                    "Action": READ_ACTIONS,
                    "Resource": table_arn(table),
                }
            )
    return statements


def admin_statements(config: WhimsyConfig) -> list[Statement]:
    return [
        {
            "Sid": sid("WriteConfig", table),
            "Effect": "Allow",
            "Action": WRITE_ACTIONS,
            "Resource": table_arn(table),
        }
        for table in config.kv.tables
        if table.access == "system_config"
    ]
