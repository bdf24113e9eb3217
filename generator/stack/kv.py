"""DynamoDB key/value tables: on demand, point-in-time recovery, encrypted, protected."""

from __future__ import annotations

import json

from cdktn import TerraformStack
from cdktn_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from cdktn_provider_aws.dynamodb_table_item import DynamodbTableItem
from constructs import Construct

from generator.config.models import KvTable, WhimsyConfig
from generator.model.handles import handle_items
from generator.stack.base import named


def _table(scope: Construct, table: KvTable) -> DynamodbTable:
    keys = [table.partition_key] + ([table.sort_key] if table.sort_key else [])
    return named(
        DynamodbTable(
            scope,
            table.name,
            name=table.name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=table.partition_key,
            range_key=table.sort_key,
            attribute=[DynamodbTableAttribute(name=key, type="S") for key in keys],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(
                enabled=table.point_in_time_recovery
            ),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True),
            deletion_protection_enabled=table.deletion_protection,
        ),
        table.name,
    )


class KeyValueTables(Construct):
    def __init__(self, scope: TerraformStack, config: WhimsyConfig) -> None:
        super().__init__(scope, "kv")
        self.tables = {table.name: _table(self, table) for table in config.kv.tables}
        subdomains = config.sites.user_subdomains
        if subdomains is not None:
            registry = self.tables[subdomains.handles_table]
            for handle, identity in sorted(subdomains.seed_handles.items()):
                self._seed(registry, handle, identity)

    def _seed(self, registry: DynamodbTable, handle: str, identity: str) -> None:
        """Existing users' handles, in the registry's two-way layout (see lambdas/handles)."""
        for kind, item in handle_items(handle, identity).items():
            named(
                DynamodbTableItem(
                    self,
                    f"seed_{kind}_{handle}",
                    table_name=registry.name,
                    hash_key="pk",
                    item=json.dumps(item, sort_keys=True),
                ),
                f"seed_{kind}_{handle}",
            )
