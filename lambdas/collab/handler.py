"""The collaboration server behind the WebSocket API (collab.<apex>).

One table holds everything (pk/sk):
  doc#<id> / meta          owner, invited, public_read, snapshot, snapshot_rev
  doc#<id> / op#<rev>      the operation committed as revision rev (1, 2, ...)
  doc#<id> / conn#<cid>    a connection joined to the document
  conn#<cid> / conn        who the connection is (sub) and which document it joined

Messages (JSON, "action" selects the route):
  {"action": "join", "doc": id}        -> {"type": "joined", "text", "rev", "writable"}
  {"action": "op", "doc": id, "rev": r, "op": [...]} -> sender {"type": "ack", "rev"},
                                                        others {"type": "op", "rev", "op"}
Errors come back as {"type": "error", "code", "message"}; nothing malformed changes a document.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ot import OTError, TextOperation, transform_against
from whimsy_runtime import (
    CognitoVerifier,
    HttpError,
    InvalidToken,
    WebSocketRequest,
    aws_client as client,
    get_logger,
    parse_websocket_event,
)

DOC_ID_MAX = 128
SNAPSHOT_EVERY = 50
MAX_RETRIES = 20
log = get_logger("whimsy.collab")
_verifier: CognitoVerifier | None = None
_management: dict[str, Any] = {}


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def table() -> str:
    return os.environ["WHIMSY_TABLE_WHIMSY_COLLAB"]


def management(endpoint: str) -> Any:
    """apigatewaymanagementapi client for this API's endpoint (tests swap in a fake)."""
    if endpoint not in _management:
        import boto3  # type: ignore[import-untyped]

        _management[endpoint] = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    return _management[endpoint]


def send(endpoint: str, connection: str, message: dict[str, Any]) -> bool:
    """Post to one connection; False when it is gone (and then it is forgotten)."""
    try:
        management(endpoint).post_to_connection(
            ConnectionId=connection, Data=json.dumps(message).encode()
        )
        return True
    except Exception as exc:  # GoneException and friends: the client left
        if "Gone" not in type(exc).__name__ and "GoneException" not in str(exc):
            log.warning("post failed", connection=connection, error=type(exc).__name__)
        _forget(connection)
        return False


# --- $connect: the REQUEST authorizer and the connection record -----------------------------


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """Allow the connection when ?token= is a valid Cognito token of our pool and client."""
    global _verifier
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    method_arn = str(event.get("methodArn", ""))
    try:
        if _verifier is None:
            _verifier = CognitoVerifier(
                os.environ["WHIMSY_USER_POOL_ID"],
                os.environ["WHIMSY_USER_POOL_CLIENT_ID"],
                token_use=("id", "access"),
            )
        sub = str(_verifier.verify(token)["sub"])
        effect = "Allow"
    except (InvalidToken, ValueError, KeyError):
        sub, effect = "anonymous", "Deny"
    return {
        "principalId": sub,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}
            ],
        },
        "context": {"sub": sub},
    }


def connect(event: dict[str, Any], request: WebSocketRequest) -> None:
    sub = ((event.get("requestContext") or {}).get("authorizer") or {}).get("sub")
    if not isinstance(sub, str) or sub == "anonymous":
        raise Refused("unauthorized", "Connect with a valid token.")
    client("dynamodb").put_item(
        TableName=table(),
        Item={"pk": {"S": f"conn#{request.connection_id}"}, "sk": {"S": "conn"}, "sub": {"S": sub}},
    )


def _connection(connection: str) -> dict[str, Any]:
    item = (
        client("dynamodb")
        .get_item(TableName=table(), Key={"pk": {"S": f"conn#{connection}"}, "sk": {"S": "conn"}})
        .get("Item")
    )
    if item is None:
        raise Refused("unknown_connection", "Reconnect first.")
    return dict(item)


def _forget(connection: str) -> None:
    try:
        item = _connection(connection)
    except Refused:
        return
    if "doc" in item:
        client("dynamodb").delete_item(
            TableName=table(),
            Key={"pk": {"S": f"doc#{item['doc']['S']}"}, "sk": {"S": f"conn#{connection}"}},
        )
    client("dynamodb").delete_item(
        TableName=table(), Key={"pk": {"S": f"conn#{connection}"}, "sk": {"S": "conn"}}
    )


# --- documents -------------------------------------------------------------------------------


def _doc_id(message: dict[str, Any]) -> str:
    doc = message.get("doc")
    if not isinstance(doc, str) or not 1 <= len(doc) <= DOC_ID_MAX or not doc.isprintable():
        raise Refused("bad_doc", f"doc is an id of 1 to {DOC_ID_MAX} printable characters.")
    return doc


def _meta(doc: str, sub: str) -> dict[str, Any]:
    """The document's record; a document nobody has opened yet is created, owned by sub."""
    key = {"pk": {"S": f"doc#{doc}"}, "sk": {"S": "meta"}}
    item = client("dynamodb").get_item(TableName=table(), Key=key, ConsistentRead=True).get("Item")
    if item is None:
        item = {
            **key,
            "owner": {"S": sub},
            "invited": {"L": []},
            "public_read": {"BOOL": False},
            "snapshot": {"S": ""},
            "snapshot_rev": {"N": "0"},
        }
        try:
            client("dynamodb").put_item(
                TableName=table(), Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except client("dynamodb").exceptions.ConditionalCheckFailedException:
            return _meta(doc, sub)
    return dict(item)


def rights(meta: dict[str, Any], sub: str) -> tuple[bool, bool]:
    """(may read, may write) for sub."""
    invited = {entry["S"] for entry in meta["invited"]["L"]}
    writer = sub == meta["owner"]["S"] or sub in invited
    return writer or meta["public_read"]["BOOL"], writer


def _ops_after(doc: str, revision: int) -> list[tuple[int, TextOperation]]:
    return [(rev, op) for rev, op, _ in _log_after(doc, revision)]


def _log_after(doc: str, revision: int) -> list[tuple[int, TextOperation, str]]:
    """(revision, operation, client op id) committed after revision, in order."""
    items: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {
        "TableName": table(),
        "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
        "ExpressionAttributeValues": {
            ":pk": {"S": f"doc#{doc}"},
            ":first": {"S": f"op#{revision + 1:012d}"},
            ":last": {"S": "op#999999999999"},
        },
    }
    while True:
        page = client("dynamodb").query(**arguments)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [
        (
            int(item["sk"]["S"][3:]),
            TextOperation.from_json(json.loads(item["op"]["S"])),
            item.get("id", {}).get("S", ""),
        )
        for item in items
    ]


def current(doc: str, meta: dict[str, Any]) -> tuple[str, int]:
    """The document's text and revision: the snapshot plus the operations after it."""
    text, revision = meta["snapshot"]["S"], int(meta["snapshot_rev"]["N"])
    for committed, operation in _ops_after(doc, revision):
        text, revision = operation.apply(text), committed
    return text, revision


def _text_and_history(
    doc: str, meta: dict[str, Any], base: int
) -> tuple[str, int, list[TextOperation]]:
    """The text and revision, and the operations committed after base, from ONE read of the
    log: read separately, a commit landing in between gives a history longer than the text
    and a valid operation is refused (found by the racing-writers test on the emulator)."""
    text, revision = meta["snapshot"]["S"], int(meta["snapshot_rev"]["N"])
    logged = _ops_after(doc, min(base, revision))
    for committed, operation in logged:
        if committed > revision:
            text, revision = operation.apply(text), committed
    return text, revision, [operation for committed, operation in logged if committed > base]


def join(request: WebSocketRequest, message: dict[str, Any], sub: str) -> dict[str, Any]:
    doc = _doc_id(message)
    meta = _meta(doc, sub)
    may_read, may_write = rights(meta, sub)
    if not may_read:
        raise Refused("forbidden", "You may not open this document.")
    connection = request.connection_id
    client("dynamodb").update_item(
        TableName=table(),
        Key={"pk": {"S": f"conn#{connection}"}, "sk": {"S": "conn"}},
        UpdateExpression="SET doc = :doc, writable = :w",
        ExpressionAttributeValues={":doc": {"S": doc}, ":w": {"BOOL": may_write}},
    )
    client("dynamodb").put_item(
        TableName=table(),
        Item={"pk": {"S": f"doc#{doc}"}, "sk": {"S": f"conn#{connection}"}},
    )
    text, revision = current(doc, meta)
    answer = {"type": "joined", "doc": doc, "text": text, "rev": revision, "writable": may_write}
    since = message.get("since")
    if isinstance(since, int) and not isinstance(since, bool) and 0 <= since <= revision:
        # a reconnecting client catches up op by op and recognizes its own by id
        answer["ops"] = [
            {"rev": rev, "op": op.to_json(), "id": op_id}
            for rev, op, op_id in _log_after(doc, since)
            if rev <= revision
        ]
    return answer


def _commit(doc: str, base: int, operation: TextOperation, op_id: str) -> tuple[int, TextOperation]:
    """Rebase over everything committed after base and append; retry when another writer
    wins the race for the next revision. A resent operation (same id) is not applied twice."""
    rebased, head = operation, base
    for _ in range(MAX_RETRIES):
        for committed, earlier, earlier_id in _log_after(doc, head):
            if op_id and earlier_id == op_id:
                return committed, earlier
            rebased, head = transform_against(rebased, [earlier]), committed
        try:
            client("dynamodb").put_item(
                TableName=table(),
                Item={
                    "pk": {"S": f"doc#{doc}"},
                    "sk": {"S": f"op#{head + 1:012d}"},
                    "op": {"S": json.dumps(rebased.to_json())},
                    "id": {"S": op_id},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
            return head + 1, rebased
        except client("dynamodb").exceptions.ConditionalCheckFailedException:
            continue
    raise Refused("busy", "The document is too busy; send the operation again.")


def _compact(doc: str, meta: dict[str, Any], revision: int) -> None:
    """Fold the log into the snapshot now and then, so joins stay cheap."""
    if revision - int(meta["snapshot_rev"]["N"]) < SNAPSHOT_EVERY:
        return
    text, head = current(doc, meta)
    try:
        client("dynamodb").update_item(
            TableName=table(),
            Key={"pk": {"S": f"doc#{doc}"}, "sk": {"S": "meta"}},
            UpdateExpression="SET #snapshot = :text, snapshot_rev = :rev",
            ConditionExpression="snapshot_rev < :rev",
            ExpressionAttributeNames={"#snapshot": "snapshot"},  # a DynamoDB reserved word
            ExpressionAttributeValues={":text": {"S": text}, ":rev": {"N": str(head)}},
        )
    except client("dynamodb").exceptions.ConditionalCheckFailedException:
        pass  # someone compacted further already


def operate(request: WebSocketRequest, message: dict[str, Any], connection: dict[str, Any]) -> None:
    doc = _doc_id(message)
    if connection.get("doc", {}).get("S") != doc:
        raise Refused("not_joined", "Join the document first.")
    if not connection.get("writable", {}).get("BOOL"):
        raise Refused("read_only", "You may read this document, not change it.")
    base = message.get("rev")
    if isinstance(base, bool) or not isinstance(base, int) or base < 0:
        raise Refused("bad_rev", "rev is the revision the operation was made on.")
    try:
        operation = TextOperation.from_json(message.get("op"))
    except OTError as exc:
        raise Refused("bad_op", str(exc)) from None
    meta = _meta(doc, connection["sub"]["S"])
    text, head, history = _text_and_history(doc, meta, base)
    if base > head:
        raise Refused("future_rev", f"The document is at revision {head}.")
    try:
        transform_against(operation, history).apply(text)  # fits the document, or refuse now
    except OTError as exc:
        raise Refused("bad_op", str(exc)) from None
    op_id = message.get("id", "")
    if not isinstance(op_id, str) or len(op_id) > 64:
        raise Refused("bad_id", "id is a string of at most 64 characters.")
    revision, committed = _commit(doc, base, operation, op_id)
    endpoint = request.management_endpoint
    # the ack names the operation: after a reconnect a client may see one twice
    ack = {"type": "ack", "doc": doc, "rev": revision, "id": op_id}
    send(endpoint, request.connection_id, ack)
    peers = client("dynamodb").query(
        TableName=table(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :conn)",
        ExpressionAttributeValues={":pk": {"S": f"doc#{doc}"}, ":conn": {"S": "conn#"}},
    )["Items"]
    update = {"type": "op", "doc": doc, "rev": revision, "op": committed.to_json(), "id": op_id}
    for peer in peers:
        peer_id = peer["sk"]["S"][5:]
        if peer_id != request.connection_id:
            send(endpoint, peer_id, update)
    try:
        _compact(doc, meta, revision)
    except Exception:  # the operation is committed; a failed compaction only costs joins time
        log.exception("compaction failed", doc=doc)


def message(request: WebSocketRequest) -> None:
    limit = int(os.environ.get("WHIMSY_WEBSOCKET_MAX_MESSAGE_BYTES", "32768"))
    if len(request.body) > limit:
        raise Refused("too_large", f"Messages are at most {limit} bytes.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Refused("bad_json", "Messages are JSON objects.") from None
    if not isinstance(body, dict):
        raise Refused("bad_json", "Messages are JSON objects.")
    connection = _connection(request.connection_id)
    action = body.get("action")
    if action == "join":
        send(
            request.management_endpoint,
            request.connection_id,
            join(request, body, connection["sub"]["S"]),
        )
    elif action == "op":
        operate(request, body, connection)
    else:
        raise Refused("unknown_action", "action is join or op.")


def handler(event: Any, context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("type") == "REQUEST":
        return authorize(event)
    try:
        request = parse_websocket_event(event)
    except HttpError:
        return {"statusCode": 400}
    try:
        if request.route_key == "$connect":
            connect(event, request)
        elif request.route_key == "$disconnect":
            _forget(request.connection_id)
        else:
            message(request)
    except Refused as refusal:
        if request.route_key == "$connect":
            return {"statusCode": 401}
        send(
            request.management_endpoint,
            request.connection_id,
            {"type": "error", "code": refusal.code, "message": refusal.message},
        )
    except Exception:
        log.exception("collab failure")
        if request.route_key not in ("$connect", "$disconnect"):
            send(
                request.management_endpoint,
                request.connection_id,
                {"type": "error", "code": "internal", "message": "Something went wrong."},
            )
        return {"statusCode": 500}
    return {"statusCode": 200}
