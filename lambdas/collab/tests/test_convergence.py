"""Clients and an in-memory server with the real OT core: random edits, random delays,
every client and the server converge and no edit is lost. (The handler over DynamoDB is
the next step; this fixes the protocol both must follow.)"""

from __future__ import annotations

import random
import sys
from collections import deque
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ot import TextOperation, transform_against
from ot_client import CollabClient


class Server:
    def __init__(self, document: str) -> None:
        self.document = document
        self.history: list[TextOperation] = []

    def receive(self, base_revision: int, operation: TextOperation) -> TextOperation:
        rebased = transform_against(operation, self.history[base_revision:])
        self.document = rebased.apply(self.document)
        self.history.append(rebased)
        return rebased


def random_edit(rng: random.Random, document: str, marker: str) -> TextOperation:
    """Insert a unique marker somewhere, sometimes deleting a little too."""
    operation = TextOperation()
    at = rng.randint(0, len(document))
    operation.retain(at)
    operation.insert(marker)
    remaining = len(document) - at
    cut = rng.randint(0, min(2, remaining)) if rng.random() < 0.3 else 0
    operation.delete(cut)
    operation.retain(remaining - cut)
    return operation


@pytest.mark.parametrize("seed", range(5))
def test_five_clients_converge(seed: int) -> None:
    rng = random.Random(seed)
    server = Server("hello")
    clients = [CollabClient("hello", 0) for _ in range(5)]
    uplink: list[deque[tuple[int, TextOperation]]] = [deque() for _ in clients]  # to server
    downlink: list[deque[tuple[str, TextOperation | None]]] = [deque() for _ in clients]
    markers: list[str] = []
    for step in range(1000):
        who = rng.randrange(len(clients))
        action = rng.random()
        if action < 0.4:  # a local edit
            marker = f"<{who}.{step}>"
            markers.append(marker)
            client = clients[who]
            to_send = client.local_edit(random_edit(rng, client.document, marker))
            if to_send is not None:
                uplink[who].append((client.revision, to_send))
        elif action < 0.7 and uplink[who]:  # the server receives one message
            base, operation = uplink[who].popleft()
            committed = server.receive(base, operation)
            for other in range(len(clients)):
                downlink[other].append(("ack", None) if other == who else ("op", committed))
        elif downlink[who]:  # a client receives one message (delays are the queue lengths)
            kind, operation = downlink[who].popleft()
            client = clients[who]
            if kind == "ack":
                to_send = client.acknowledged()
                if to_send is not None:
                    uplink[who].append((client.revision, to_send))
            else:
                assert operation is not None
                client.remote(operation)
    # drain every queue
    while any(uplink) or any(downlink):
        for who in range(len(clients)):
            while uplink[who]:
                base, operation = uplink[who].popleft()
                committed = server.receive(base, operation)
                for other in range(len(clients)):
                    downlink[other].append(("ack", None) if other == who else ("op", committed))
            while downlink[who]:
                kind, operation = downlink[who].popleft()
                if kind == "ack":
                    to_send = clients[who].acknowledged()
                    if to_send is not None:
                        uplink[who].append((clients[who].revision, to_send))
                else:
                    assert operation is not None
                    clients[who].remote(operation)
    assert all(c.document == server.document for c in clients)
    assert all(c.pending is None and c.buffer is None for c in clients)
    # every marker survives exactly once unless a later edit deleted part of it
    survivors = [m for m in markers if m in server.document]
    assert all(server.document.count(m) == 1 for m in survivors)
    assert len(survivors) >= len(markers) * 0.5
