"""One operation per revision, one owner per document, a snapshot that never goes back:
forced interleavings against moto, then real racing writers against the emulator's atomic
DynamoDB (lambdas/_shared/tests/test_atomic_backend.py checks that it is atomic)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import FakeManagement, event, server_in

WRITERS = 6


def connect(module: Any, connection: str, sub: str) -> None:
    assert module.handler(event("$connect", connection, sub=sub), None)["statusCode"] == 200


def join(module: Any, fake: FakeManagement, connection: str, doc: str = "d") -> dict[str, Any]:
    module.handler(event("join", connection, {"action": "join", "doc": doc}), None)
    answer: dict[str, Any] = fake.inbox[connection].popleft()
    return answer


def send_op(module: Any, connection: str, rev: int, op: list[Any], op_id: str) -> None:
    body = {"action": "op", "doc": "d", "rev": rev, "op": op, "id": op_id}
    assert module.handler(event("op", connection, body), None)["statusCode"] == 200


def acks(fake: FakeManagement, connection: str) -> list[dict[str, Any]]:
    return [m for m in fake.inbox.get(connection, []) if m["type"] in ("ack", "error")]


def log(module: Any) -> list[tuple[int, str]]:
    return [(rev, op_id) for rev, _, op_id in module._log_after("d", 0)]


def replayed(module: Any) -> str:
    """The text from nothing, every logged operation applied in revision order."""
    text = ""
    for _, operation, _ in module._log_after("d", 0):
        text = operation.apply(text)
    return text


def stored(module: Any) -> tuple[str, int]:
    text, revision = module.current("d", module._meta("d", "nobody"))
    return str(text), int(revision)


# --- moto: the interleavings that matter, in order -------------------------------------------


def test_an_operation_overtaken_at_its_revision_commits_at_the_next(
    server: tuple[Any, FakeManagement], interleave: Any
) -> None:
    module, fake = server
    for connection in ("a", "b"):
        connect(module, connection, "owner")
        assert join(module, fake, connection)["rev"] == 0
    # a has read the log (head 0); b's operation takes revision 1 before a's write lands
    interleave(module, "put_item", lambda: send_op(module, "b", 0, ["B"], "b1"))
    send_op(module, "a", 0, ["A"], "a1")
    assert [m["rev"] for m in acks(fake, "b")] == [1]
    assert [(m["type"], m["rev"]) for m in acks(fake, "a")] == [("ack", 2)]
    assert log(module) == [(1, "b1"), (2, "a1")]
    assert stored(module) == (replayed(module), 2)
    assert sorted(stored(module)[0]) == ["A", "B"]


def test_a_resend_overtaken_by_its_own_first_copy_is_not_applied_twice(
    server: tuple[Any, FakeManagement], interleave: Any
) -> None:
    module, fake = server
    connect(module, "a", "owner")
    join(module, fake, "a")
    connect(module, "a2", "owner")  # the same client after a reconnect
    join(module, fake, "a2")
    interleave(module, "put_item", lambda: send_op(module, "a", 0, ["A"], "a1"))
    send_op(module, "a2", 0, ["A"], "a1")
    assert log(module) == [(1, "a1")]
    assert [m["rev"] for m in acks(fake, "a2")] == [1]


def test_a_commit_landing_while_an_operation_is_checked_is_rebased_over(
    server: tuple[Any, FakeManagement], interleave: Any
) -> None:
    module, fake = server
    for connection in ("a", "b"):
        connect(module, connection, "owner")
        join(module, fake, connection)
    send_op(module, "b", 0, ["B"], "b1")
    # a writes from revision 0; b's second operation commits after a's handler has read the
    # text and before it reads again (a second read would see a history longer than the text)
    interleave(module, "query", lambda: send_op(module, "b", 1, [1, "C"], "b2"), passing=1)
    send_op(module, "a", 0, ["A"], "a1")
    assert [(m["type"], m["rev"]) for m in acks(fake, "a")] == [("ack", 3)]
    assert log(module) == [(1, "b1"), (2, "b2"), (3, "a1")]
    assert stored(module) == (replayed(module), 3)
    assert sorted(stored(module)[0]) == ["A", "B", "C"]


def test_the_second_to_open_a_new_document_does_not_take_it(
    server: tuple[Any, FakeManagement], interleave: Any
) -> None:
    module, fake = server
    connect(module, "alice", "sub-alice")
    connect(module, "bob", "sub-bob")
    # bob found no document; alice's join creates it before bob's conditional create lands
    interleave(module, "put_item", lambda: join(module, fake, "alice", "new"))
    bob = join(module, fake, "bob", "new")
    assert (bob["type"], bob["code"]) == ("error", "forbidden")
    assert module._meta("new", "nobody")["owner"]["S"] == "sub-alice"


# --- the emulator: writers racing for real ----------------------------------------------------


@pytest.fixture
def server_on_emulator(
    emulated_aws: Any, load_handler: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, FakeManagement]:
    return server_in(emulated_aws, load_handler, monkeypatch)


@pytest.mark.emulator
def test_racing_writers_get_one_revision_each_and_converge(
    server_on_emulator: tuple[Any, FakeManagement], race: Any
) -> None:
    module, fake = server_on_emulator
    writers = [f"w{i}" for i in range(WRITERS)]
    for writer in writers:
        connect(module, writer, "owner")  # one user, several tabs: all may write
        join(module, fake, writer)
    rounds = 10  # 60 operations: past SNAPSHOT_EVERY, so compactions race too
    for round_ in range(rounds):
        # every writer inserts at the start of the text all of them last saw
        text, head = stored(module)
        keep = [len(text)] if text else []
        race(
            [
                lambda w=w, head=head, keep=keep, r=round_: send_op(
                    module, w, head, [f"<{w}.{r}>", *keep], f"{w}.{r}"
                )
                for w in writers
            ]
        )
    total = rounds * WRITERS
    refused = [m for w in writers for m in acks(fake, w) if m["type"] == "error"]
    assert refused == []
    committed = log(module)
    assert [rev for rev, _ in committed] == list(range(1, total + 1))  # no gap, no double
    assert sorted(op_id for _, op_id in committed) == sorted(
        f"{w}.{r}" for w in writers for r in range(rounds)
    )
    acked = sorted(m["rev"] for w in writers for m in acks(fake, w))
    assert acked == list(range(1, total + 1))  # each writer told its own revision
    text, revision = stored(module)
    assert (text, revision) == (replayed(module), total)  # the snapshot agrees with the log
    assert all(text.count(f"<{w}.{r}>") == 1 for w in writers for r in range(rounds))
    meta = module._meta("d", "nobody")
    assert int(meta["snapshot_rev"]["N"]) >= 50


@pytest.mark.emulator
def test_racing_first_opens_give_a_document_one_owner(
    server_on_emulator: tuple[Any, FakeManagement], race: Any
) -> None:
    module, fake = server_on_emulator
    subs = [f"sub-{i}" for i in range(WRITERS)]
    for sub in subs:
        connect(module, sub, sub)
    for round_ in range(10):
        doc = f"fresh-{round_}"
        answers = race([lambda sub=sub, doc=doc: join(module, fake, sub, doc) for sub in subs])
        opened = [sub for sub, a in zip(subs, answers, strict=True) if a["type"] == "joined"]
        assert len(opened) == 1, answers
        assert sorted(a.get("code", "") for a in answers) == [""] + ["forbidden"] * (WRITERS - 1)
        assert module._meta(doc, "nobody")["owner"]["S"] == opened[0]
