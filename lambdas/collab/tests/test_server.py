"""The collaboration handler over moto's DynamoDB with a fake management API: 5 clients,
1,000 random edits, random delivery and reconnects; everyone converges and no
operation is lost or applied twice."""

from __future__ import annotations

import random
import sys
from collections import deque
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ot import TextOperation
from ot_client import CollabClient

from .conftest import FakeManagement, event

REGION = "us-east-1"


class Peer:
    """A simulated ZineOS client: the reference state machine plus a connection."""

    def __init__(self, name: str, module: Any, fake: Any) -> None:
        self.name, self.module, self.fake = name, module, fake
        self.generation = 0
        self.client: CollabClient | None = None
        self.pending_id = ""
        self.outbox: deque[dict[str, Any]] = deque()
        self.counter = 0
        self.sent_ids: list[str] = []
        self.connect()

    @property
    def connection(self) -> str:
        return f"{self.name}-{self.generation}"

    def connect(self) -> None:
        assert (
            self.module.handler(event("$connect", self.connection, sub=f"sub-{self.name}"), None)[
                "statusCode"
            ]
            == 200
        )
        since = self.client.revision if self.client else None
        self.outbox.append(
            {"action": "join", "doc": "shared", **({"since": since} if since is not None else {})}
        )

    def reconnect(self) -> None:
        self.module.handler(event("$disconnect", self.connection), None)
        self.fake.gone.add(self.connection)
        self.outbox.clear()  # whatever was in flight is lost with the connection
        self.generation += 1
        self.connect()

    def send_pending(self, operation: TextOperation | None) -> None:
        if operation is not None and self.client is not None:
            self.counter += 1
            self.pending_id = f"{self.name}:{self.counter}"
            self.sent_ids.append(self.pending_id)
            self.outbox.append(
                {
                    "action": "op",
                    "doc": "shared",
                    "rev": self.client.revision,
                    "op": operation.to_json(),
                    "id": self.pending_id,
                }
            )

    def deliver_one_outgoing(self) -> None:
        if self.outbox:
            self.module.handler(event("op", self.connection, self.outbox.popleft()), None)

    def receive_one(self) -> None:
        inbox = self.fake.inbox.get(self.connection)
        if not inbox:
            return
        message = inbox.popleft()
        assert message["type"] != "error", message
        if message["type"] == "joined":
            self.joined(message)
        elif message["type"] == "ack":
            assert self.client is not None
            if self.client.pending is not None and message["id"] == self.pending_id:
                self.send_pending(self.client.acknowledged())  # else: a repeat, already counted
        else:
            self.remote(message)

    def joined(self, message: dict[str, Any]) -> None:
        if self.client is None:
            self.client = CollabClient(message["text"], message["rev"])
            return
        for missed in message.get("ops", []):
            self.remote(missed)
        already_sent = any(m.get("id") == self.pending_id for m in self.outbox)
        if self.client.pending is not None and not already_sent:  # never committed: resend
            self.outbox.append(
                {
                    "action": "op",
                    "doc": "shared",
                    "rev": self.client.revision,
                    "op": self.client.pending.to_json(),
                    "id": self.pending_id,
                }
            )

    def remote(self, message: dict[str, Any]) -> None:
        assert self.client is not None
        if message["rev"] <= self.client.revision:
            return  # already seen (sent again after a reconnect)
        if self.client.pending is not None and message.get("id") == self.pending_id:
            self.send_pending(self.client.acknowledged())  # our own, acknowledged by the log
            return
        self.client.remote(TextOperation.from_json(message["op"]))

    def edit(self, rng: random.Random, marker: str) -> None:
        if self.client is None:
            return
        document = self.client.document
        at = rng.randint(0, len(document))
        cut = min(rng.randint(0, 2), len(document) - at) if rng.random() < 0.3 else 0
        operation = (
            TextOperation().retain(at).insert(marker).delete(cut).retain(len(document) - at - cut)
        )
        self.send_pending(self.client.local_edit(operation))


def settle(peers: list[Peer]) -> None:
    for _ in range(10_000):
        busy = False
        for peer in peers:
            if peer.outbox or peer.fake.inbox.get(peer.connection):
                busy = True
                peer.deliver_one_outgoing()
                peer.receive_one()
        if not busy:
            return
    raise AssertionError("did not settle")


def stored_text(module: Any) -> str:
    meta = module._meta("shared", "nobody")
    return str(module.current("shared", meta)[0])


def test_five_clients_with_delays_and_reconnects_converge(
    server: tuple[Any, FakeManagement],
) -> None:
    module, fake = server
    rng = random.Random(7)
    owner = Peer("p0", module, fake)  # the first to open a document owns it
    settle([owner])
    boto3.client("dynamodb", region_name=REGION).update_item(
        TableName="collab",
        Key={"pk": {"S": "doc#shared"}, "sk": {"S": "meta"}},
        UpdateExpression="SET invited = :all",
        ExpressionAttributeValues={":all": {"L": [{"S": f"sub-p{i}"} for i in range(1, 5)]}},
    )
    peers = [owner] + [Peer(f"p{i}", module, fake) for i in range(1, 5)]
    settle(peers)
    markers = []
    step = 0
    while len(markers) < 1000:  # 1,000 edits, interleaved with deliveries and reconnects
        step += 1
        peer = rng.choice(peers)
        roll = rng.random()
        if roll < 0.35:
            marker = f"<{peer.name}.{step}>"
            markers.append(marker)
            peer.edit(rng, marker)
        elif roll < 0.65:
            peer.deliver_one_outgoing()
        elif roll < 0.97:
            peer.receive_one()
        else:
            peer.reconnect()
    settle(peers)
    final = stored_text(module)
    assert all(peer.client is not None and peer.client.document == final for peer in peers)
    assert all(peer.client is not None and peer.client.pending is None for peer in peers)
    # every edit travelled in exactly one sent operation (clients end with nothing pending),
    # and every sent operation is in the log exactly once: none lost, none applied twice
    committed_ids = [op_id for _, _, op_id in module._log_after("shared", 0)]
    sent_ids = [op_id for peer in peers for op_id in peer.sent_ids]
    assert sorted(committed_ids) == sorted(sent_ids)
    assert len(markers) == 1000 and len(sent_ids) > 100
    assert all(final.count(marker) <= 1 for marker in markers)
