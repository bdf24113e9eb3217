"""End to end: the committed out/ applied to ministack, driven as real clients drive it,
through the emulated AWS APIs only (Cognito, S3, API Gateway's execute-api and custom-domain
Host routing, Secrets Manager as an operator).

What the emulator does not enforce, and so these tests cannot show (`whimsy prove` proves
these promises on the policies themselves; see docs/local.md):
- IAM (ministack runs with AUTH=false): the identity pool's role and its policy variables
  (${cognito-identity.amazonaws.com:sub}), dynamodb:LeadingKeys, bucket policies and the
  public access block. Another user's folder is writable here, and private files readable.
- The app client's ExplicitAuthFlows (USER_PASSWORD_AUTH is accepted) and the identity
  pool's allow_unauthenticated_identities=false (GetId without a login answers).
- CloudFront viewer routing by alias: ministack serves a distribution only under its own
  <id>.cloudfront.* name, so the viewer Host of <handle>.<apex> never reaches it. The tests
  call the sites API the way the forward-host function would (x-whimsy-host).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.parse
import uuid
from typing import Any

import pytest
import requests

from generator.local import override
from generator.local.srp import SrpSession
from generator.local.terraform import Terraform
from generator.local.workdir import write_json
from tests.local.conftest import DEBUG_LOG, LocalPlatform, whimsy_local
from tests.local.ws import handshake

pytestmark = [pytest.mark.e2e, pytest.mark.terraform]
PASSWORD = "Correct-horse-battery-9"


def api_base(local: LocalPlatform, name: str) -> str:
    api = local.platform["apis"][name]
    return f"{local.endpoint}/_aws/execute-api/{api['id']}/{api['stage']}"


def custom_domain(local: LocalPlatform, api: str) -> str:
    """The custom domain mapped to an API (api.<apex> for the HTTP API)."""
    api_id = local.platform["apis"][api]["id"]
    return next(d for d, target in local.platform["domains"].items() if target == api_id)


def via_domain(
    local: LocalPlatform, api: str, method: str, path: str, **kwargs: Any
) -> requests.Response:
    """A request routed by Host, as a browser calling https://api.<apex>/... would be."""
    headers = {"host": custom_domain(local, api), **kwargs.pop("headers", {})}
    return requests.request(method, f"{local.endpoint}{path}", headers=headers, timeout=60,
                            **kwargs)  # fmt: skip


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def sign_in(local: LocalPlatform, email: str, password: str) -> dict[str, str]:
    idp = local.client("cognito-idp")
    client_id, pool_id = local.platform["user_pool_client_id"], local.platform["user_pool_id"]
    srp = SrpSession(pool_id)
    started = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH",
                                AuthParameters={"USERNAME": email, "SRP_A": srp.srp_a})  # fmt: skip
    assert started["ChallengeName"] == "PASSWORD_VERIFIER"
    answered = idp.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.respond(started["ChallengeParameters"], password),
    )  # fmt: skip
    result: dict[str, str] = answered["AuthenticationResult"]
    return result


class User:
    """A user who signed up, confirmed with the emailed code, signed in, and holds
    identity-pool credentials."""

    def __init__(self, local: LocalPlatform, name: str) -> None:
        self.local, self.name = local, name
        self.email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
        idp = local.client("cognito-idp")
        signed_up = idp.sign_up(ClientId=local.platform["user_pool_client_id"], Username=self.email,
                                Password=PASSWORD,
                                UserAttributes=[{"Name": "email", "Value": self.email}])  # fmt: skip
        self.confirmed_at_sign_up = signed_up["UserConfirmed"]
        idp.confirm_sign_up(ClientId=local.platform["user_pool_client_id"], Username=self.email,
                            ConfirmationCode=self.emailed_code())  # fmt: skip
        self.tokens = sign_in(local, self.email, PASSWORD)
        self.id_token = self.tokens["IdToken"]
        provider = (
            f"cognito-idp.{local.state.region}.amazonaws.com/{local.platform['user_pool_id']}"
        )
        identity = local.client("cognito-identity")
        logins = {provider: self.id_token}
        self.identity_id = identity.get_id(IdentityPoolId=local.platform["identity_pool_id"],
                                           Logins=logins)["IdentityId"]  # fmt: skip
        credentials = identity.get_credentials_for_identity(IdentityId=self.identity_id,
                                                            Logins=logins)["Credentials"]  # fmt: skip
        self.s3 = local.client("s3", aws_access_key_id=credentials["AccessKeyId"],
                               aws_secret_access_key=credentials["SecretKey"],
                               aws_session_token=credentials["SessionToken"])  # fmt: skip

    def emailed_code(self) -> str:
        """The confirmation code from the verification email, as the user would read it
        (the emulator's SES outbox)."""
        outbox = requests.get(f"{self.local.endpoint}/_ministack/ses/messages", timeout=30).json()
        mails = [m for ms in outbox["messages"].values() for m in ms if self.email in m["To"]]
        assert mails, f"no verification email to {self.email}"
        found = re.search(r"\b(\d{6})\b", mails[-1]["BodyText"])
        assert found, mails[-1]
        return found.group(1)


@pytest.fixture(scope="module")
def local(local_platform: LocalPlatform) -> LocalPlatform:
    return local_platform


@pytest.fixture(scope="module")
def alice(local: LocalPlatform) -> User:
    return User(local, "alice")


@pytest.fixture(scope="module")
def bob(local: LocalPlatform) -> User:
    return User(local, "bob")


@pytest.fixture(scope="module")
def bucket(local: LocalPlatform) -> str:
    return str(local.platform["buckets"]["user_files"])


# --- Terraform: everything applied, and nothing to change afterwards ---


def test_every_resource_of_the_committed_terraform_is_applied(local: LocalPlatform) -> None:
    terraform = Terraform.locate(local.terraform_dir, local.state_dir)
    deployed = terraform.addresses()
    assert local.state.resources == len(deployed)
    missing = [f"{kind}.{name}" for kind, names in local.document["resource"].items()
               for name in names
               if not any(a == f"{kind}.{name}" or a.startswith(f"{kind}.{name}[") for a in deployed)]  # fmt: skip
    assert not missing, missing


def test_nothing_reached_aws(local: LocalPlatform) -> None:
    """The override points every endpoint the provider called at the emulator: in its debug
    log of the whole `up`, every request went to 127.0.0.1."""
    log = (local.state_dir / DEBUG_LOG).read_text(errors="replace")
    peers = re.findall(r"net\.peer\.name=([^\s]+)", log)
    assert len(peers) > 100  # the log really records the provider's requests
    assert set(peers) == {"127.0.0.1"}, sorted(set(peers))


def test_a_second_plan_changes_nothing(local: LocalPlatform) -> None:
    """No perpetual diff: plan right after apply proposes nothing (-detailed-exitcode 0)."""
    terraform = Terraform.locate(local.terraform_dir, local.state_dir)
    assert terraform.plan_exit_code() == 0, (local.state_dir / "terraform-plan.log").read_text()


def test_only_the_known_emulator_quirks_differ_without_their_ignores(local: LocalPlatform) -> None:
    """The ignores of override.EMULATOR_READ_QUIRKS hide exactly the attributes ministack
    invents on read: without them the plan changes those and nothing else."""
    terraform = Terraform.locate(local.terraform_dir, local.state_dir)
    path = local.terraform_dir / override.LOCAL_OVERRIDE
    kept = path.read_text()
    document = json.loads(kept)
    for kind, names in override.quirk_ignores(local.document).items():
        for name in names:
            document["resource"][kind][name].pop("lifecycle")
            if not document["resource"][kind][name]:
                del document["resource"][kind][name]
        if not document["resource"][kind]:
            del document["resource"][kind]
    try:
        write_json(path, document)
        changes = terraform.plan_changes()
    finally:
        path.write_text(kept)
    changed: dict[str, dict[str, list[str]]] = {}
    for change in changes:
        assert change["change"]["actions"] == ["update"], change["address"]
        before, after = change["change"]["before"], change["change"]["after"]
        differing = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        changed.setdefault(change["type"], {})[change["name"]] = differing
    expected = {kind: {name: sorted(attributes) for name, attributes in names.items()}
                for kind, names in override.quirk_ignores(local.document).items()}  # fmt: skip
    assert changed == expected


# --- identity: sign-up, SRP sign-in, identity-pool credentials ---


def test_sign_up_needs_the_emailed_code_then_srp_sign_in_works(
    local: LocalPlatform, alice: User
) -> None:
    assert alice.confirmed_at_sign_up is False  # auto-verified email: confirm with the code
    claims = json.loads(base64.urlsafe_b64decode(alice.id_token.split(".")[1] + "=="))
    assert claims["email"] == alice.email and claims["email_verified"] is True
    assert claims["aud"] == local.platform["user_pool_client_id"]
    assert claims["iss"].endswith("/" + local.platform["user_pool_id"])
    idp = local.client("cognito-idp")
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        sign_in(local, alice.email, PASSWORD + "-wrong")


def test_identity_pool_gives_each_user_their_own_identity(alice: User, bob: User) -> None:
    pattern = r"us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch(pattern, alice.identity_id), alice.identity_id
    assert alice.identity_id != bob.identity_id


# --- storage: the user's folder and public files ---


def test_user_uploads_into_their_folder_and_lists_it(alice: User, bucket: str) -> None:
    alice.s3.put_object(Bucket=bucket, Key=f"{alice.identity_id}/notes/todo.txt", Body=b"milk")
    alice.s3.put_object(Bucket=bucket, Key=f"{alice.identity_id}/public/hello.txt",
                        Body=b"hello from alice", ContentType="text/plain")  # fmt: skip
    listed = alice.s3.list_objects_v2(Bucket=bucket, Prefix=f"{alice.identity_id}/")
    assert {o["Key"].split("/", 1)[1] for o in listed["Contents"]} >= {"notes/todo.txt",
                                                                       "public/hello.txt"}  # fmt: skip
    got = alice.s3.get_object(Bucket=bucket, Key=f"{alice.identity_id}/notes/todo.txt")
    assert got["Body"].read() == b"milk"


def test_public_file_reads_anonymously(local: LocalPlatform, alice: User, bucket: str) -> None:
    alice.s3.put_object(Bucket=bucket, Key=f"{alice.identity_id}/public/readme.txt", Body=b"hi")
    key = urllib.parse.quote(f"{alice.identity_id}/public/readme.txt")
    response = requests.get(f"{local.endpoint}/{bucket}/{key}", timeout=30)  # no credentials
    assert response.status_code == 200 and response.content == b"hi"
    # Not asserted: that a private file is NOT anonymously readable. ministack does not
    # evaluate bucket policies (AUTH=false); `whimsy prove` covers that promise.


# --- handles and the user's site ---


def test_claim_handle_then_fetch_the_site_by_host(
    local: LocalPlatform, alice: User, bob: User, bucket: str
) -> None:
    handle = f"alice{uuid.uuid4().hex[:6]}"
    assert via_domain(local, "http", "PUT", f"/handles/{handle}").status_code == 401
    claimed = via_domain(local, "http", "PUT", f"/handles/{handle}", headers=bearer(alice.id_token))
    assert claimed.status_code == 200, claimed.text
    assert claimed.json() == {"handle": handle, "identity_id": alice.identity_id}
    taken = via_domain(local, "http", "PUT", f"/handles/{handle}", headers=bearer(bob.id_token))
    assert taken.status_code == 409, taken.text
    looked_up = via_domain(local, "http", "GET", f"/handles/{handle}")  # anonymous
    assert looked_up.json()["identity_id"] == alice.identity_id

    alice.s3.put_object(Bucket=bucket, Key=f"{alice.identity_id}/public/index.html",
                        Body=b"<h1>alice</h1>", ContentType="text/html")  # fmt: skip
    alice.s3.put_object(Bucket=bucket, Key=f"{alice.identity_id}/public/hello.txt",
                        Body=b"hello from alice", ContentType="text/plain")  # fmt: skip
    apex = next(iter(local.document["resource"]["aws_acm_certificate"].values()))["domain_name"]
    sites = local.platform["apis"]["sites"]
    # https://<handle>.<apex>/... as CloudFront asks the sites API: routed to the API by its
    # execute-api Host, the viewer's Host in x-whimsy-host (the forward-host function's copy).
    host = {"host": f"{sites['id']}.execute-api.localhost:{local.port}"}

    def site(name: str, path: str) -> requests.Response:
        return requests.get(f"{local.endpoint}/{path}", timeout=60,
                            headers={**host, "x-whimsy-host": f"{name}.{apex}"})  # fmt: skip

    page = site(handle, "hello.txt")
    assert page.status_code == 200, page.text
    assert page.content == b"hello from alice"
    assert site(handle, "").content == b"<h1>alice</h1>"  # the index document
    assert site(handle, "missing.txt").status_code == 404
    assert site(f"nobody{uuid.uuid4().hex[:6]}", "hello.txt").status_code == 404
    seeded = local.state.demo  # `whimsy local up` claimed a handle and published a page
    assert b"Hello from" in site(seeded["handle"], "").content


# --- the HTTP API's routes with the user's token ---


def test_authorized_routes_refuse_missing_and_forged_tokens(
    local: LocalPlatform, alice: User
) -> None:
    forged = alice.id_token[:-8] + ("A" * 8 if not alice.id_token.endswith("A" * 8) else "B" * 8)
    for headers in ({}, bearer("not.a.token"), bearer(forged)):
        assert via_domain(local, "http", "GET", "/usage", headers=headers).status_code == 401
    usage = via_domain(local, "http", "GET", "/usage", headers=bearer(alice.id_token))
    assert usage.status_code == 200, usage.text
    assert set(usage.json()) >= {"from", "to", "days", "totals"}


def test_presigned_upload_lands_in_the_callers_folder(
    local: LocalPlatform, alice: User, bucket: str
) -> None:
    answer = via_domain(local, "http", "POST", "/uploads", headers=bearer(alice.id_token),
                        json={"content_type": "image/png"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    form = answer.json()
    key = form["fields"]["key"]
    assert key.startswith(f"{alice.identity_id}/")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    posted = requests.post(form["url"], data=form["fields"], timeout=60,
                           files={"file": ("a.png", png, "image/png")})  # fmt: skip
    assert posted.status_code in (200, 201, 204), posted.text
    assert alice.s3.get_object(Bucket=bucket, Key=key)["Body"].read() == png


def test_saving_profile_json_indexes_the_catalog(
    local: LocalPlatform, alice: User, bucket: str
) -> None:
    """S3 event -> the catalog function (with its native jsonschema dependencies) -> table ->
    the public catalog and the owner's status."""
    name = f"Paint {uuid.uuid4().hex[:6]}"
    profile = {"display_name": "Alice", "software": [
        {"name": name, "description": "draw things", "entry_url": "https://example.com/paint/",
         "tags": ["art"]}]}  # fmt: skip
    alice.s3.put_object(Bucket=bucket, Key=f"{alice.identity_id}/public/whimsy.space/profile.json",
                        Body=json.dumps(profile).encode(), ContentType="application/json")  # fmt: skip
    deadline, status = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        status = via_domain(local, "http", "GET", "/profile", headers=bearer(alice.id_token)).json()
        if status.get("status") not in (None, "none"):
            break
        time.sleep(0.5)
    assert status.get("status") == "accepted", status
    listed = via_domain(local, "http", "GET", "/catalog", params={"tag": "art"}).json()
    assert any(s["name"] == name and s["identity_id"] == alice.identity_id
               for s in listed["software"]), listed  # fmt: skip


def _stripe_signature(secret: str, payload: bytes, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def test_signed_payment_webhook_grants_the_entitlement_once(
    local: LocalPlatform, alice: User
) -> None:
    payments = next(f for f in local.document["resource"]["aws_lambda_function"].values()
                    if "PRODUCTS" in f["environment"]["variables"])  # fmt: skip
    product = payments["environment"]["variables"]["PRODUCTS"].split(",")[0].split("=")[0]
    secret_name = next(n for n in payments["environment"]["variables"]["WHIMSY_SECRET_NAMES"]
                       .split(",") if n.endswith("/stripe-webhook-secret"))  # fmt: skip
    webhook_secret = f"whsec_{uuid.uuid4().hex}"
    # the operator's step: values are set out of band, never in Terraform
    local.client("secretsmanager").put_secret_value(SecretId=secret_name,
                                                    SecretString=webhook_secret)  # fmt: skip
    event_id = f"evt_{uuid.uuid4().hex[:16]}"
    payload = json.dumps({
        "id": event_id, "object": "event", "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_test_1", "object": "checkout.session",
                            "payment_status": "paid",
                            "metadata": {"identity_id": alice.identity_id, "product": product}}},
    }).encode()  # fmt: skip
    now = int(time.time())

    def post(signature: str) -> requests.Response:
        return via_domain(local, "http", "POST", "/payments/webhook", data=payload,
                          headers={"stripe-signature": signature,
                                   "content-type": "application/json"})  # fmt: skip

    assert post(_stripe_signature("whsec_wrong", payload, now)).status_code == 400
    first = post(_stripe_signature(webhook_secret, payload, now))
    assert first.status_code == 200, first.text
    assert first.json() == {"received": event_id, "granted": True}
    assert post(_stripe_signature(webhook_secret, payload, now)).json()["granted"] is False
    owned = via_domain(
        local, "http", "GET", "/payments/entitlements", headers=bearer(alice.id_token)
    )
    assert owned.json() == {"entitlements": [product]}


# --- realtime ---


def test_websocket_connect_is_decided_by_the_collab_authorizer(
    local: LocalPlatform, alice: User
) -> None:
    """The WebSocket API answers on its stage and its $connect route runs the collab
    function's REQUEST authorizer. Beyond that the emulator cannot go: the authorizer checks
    the token against the JWKS at https://cognito-idp.<region>.amazonaws.com/<pool>/..., a
    host ministack cannot stand in for (it is not DNS, and the function's HTTPS client trusts
    only real certificates), so every token is denied here. join/op are covered by the
    collab function's own simulation tests."""
    realtime = local.platform["apis"]["realtime"]
    host = f"{realtime['id']}.execute-api.localhost:{local.port}"
    status, _ = handshake("127.0.0.1", local.port, f"/{realtime['stage']}", host)
    assert status == 401  # no ?token=: API Gateway refuses before the authorizer runs
    token = urllib.parse.quote(alice.id_token)
    status, body = handshake("127.0.0.1", local.port, f"/{realtime['stage']}?token={token}", host)
    assert status == 403, body  # the authorizer ran, and denied
    logs = local.client("logs")
    group = f"/aws/lambda/{local.platform['functions']['fn_collab']}"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    messages = [e["message"] for s in streams
                for e in logs.get_log_events(logGroupName=group,
                                             logStreamName=s["logStreamName"])["events"]]  # fmt: skip
    assert any("jwks fetch failed" in m and "cognito-idp." in m for m in messages), messages


# --- teardown: runs last (file order) ---


def test_destroy_leaves_nothing_behind(local: LocalPlatform) -> None:
    """`whimsy local down --keep-emulator` destroys everything Terraform made (protections
    lifted first, as on AWS), then the emulator is asked, service by service, what is left."""
    start = time.perf_counter()
    down = whimsy_local("down", "--state-dir", str(local.state_dir), "--keep-emulator")
    print(f"\nwhimsy local down: {time.perf_counter() - start:.1f} s")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "destroyed" in down.stdout
    left = {
        "buckets": [b["Name"] for b in local.client("s3").list_buckets()["Buckets"]],
        "tables": local.client("dynamodb").list_tables()["TableNames"],
        "functions": local.client("lambda").list_functions()["Functions"],
        "user pools": local.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"],
        "identity pools": local.client("cognito-identity").list_identity_pools(
            MaxResults=60)["IdentityPools"],
        "apis": local.client("apigatewayv2").get_apis()["Items"],
        "domain names": local.client("apigatewayv2").get_domain_names()["Items"],
        "distributions": local.client("cloudfront").list_distributions()["DistributionList"]
        .get("Items", []),
        "roles": local.client("iam").list_roles()["Roles"],
        "log groups": local.client("logs").describe_log_groups()["logGroups"],
        "secrets": local.client("secretsmanager").list_secrets(
            IncludePlannedDeletion=True)["SecretList"],
        "certificates": local.client("acm").list_certificates()["CertificateSummaryList"],
        "hosted zones": local.client("route53").list_hosted_zones()["HostedZones"],
    }  # fmt: skip
    assert {kind: items for kind, items in left.items() if items} == {}
