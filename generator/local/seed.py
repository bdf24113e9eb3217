"""Seed the local platform with a demo user, the way a real client would make one.

Runs in the emulator's environment (remote.py's `seed` action), which has boto3:

1. sign up with email and password on the user pool's app client; an operator confirms the
   account (AdminConfirmSignUp stands in for the emailed code);
2. sign in with SRP (the only password flow the app client allows) for an id token;
3. GetId and GetCredentialsForIdentity on the identity pool: the user's identity id (their
   folder's name) and temporary credentials;
4. with those credentials, upload public/index.html into their own folder;
5. claim the handle through the HTTP API (PUT /handles/{handle}, bearer id token).

Every step tolerates having been done before, so `up` can run again on a running platform.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from generator.local.srp import SrpSession

INDEX_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>{handle}</title></head>
<body><h1>Hello from {handle}.{apex}</h1>
<p>Served by the local Whimsy.Space platform (whimsy local).</p></body></html>
"""


def _clients(request: dict[str, Any]) -> tuple[Any, Any]:
    import boto3  # type: ignore[import-untyped]

    common = {"endpoint_url": request["endpoint"], "region_name": request["region"],
              "aws_access_key_id": "test", "aws_secret_access_key": "test"}  # fmt: skip
    return boto3.client("cognito-idp", **common), boto3.client("cognito-identity", **common)


def sign_in(idp: Any, client_id: str, pool_id: str, email: str, password: str) -> dict[str, str]:
    """USER_SRP_AUTH; the AuthenticationResult (IdToken, AccessToken, RefreshToken)."""
    srp = SrpSession(pool_id)
    started = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": email, "SRP_A": srp.srp_a},
    )  # fmt: skip
    if started.get("ChallengeName") != "PASSWORD_VERIFIER":
        raise RuntimeError(f"unexpected challenge {started.get('ChallengeName')!r}")
    answered = idp.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.respond(started["ChallengeParameters"], password),
    )  # fmt: skip
    if "AuthenticationResult" not in answered:
        raise RuntimeError(f"sign-in ended with challenge {answered.get('ChallengeName')!r}")
    result: dict[str, str] = answered["AuthenticationResult"]
    return result


def _claim(url: str, handle: str, id_token: str) -> int:
    claim = urllib.request.Request(
        f"{url}handles/{handle}", method="PUT", data=b"{}",
        headers={"authorization": f"Bearer {id_token}", "content-type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(claim, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        if error.code == 409:  # already ours (or taken): the seed stays usable either way
            return 409
        raise RuntimeError(f"PUT /handles/{handle}: {error.code} {error.read()[:300]!r}") from None


def seed(request: dict[str, Any]) -> dict[str, Any]:
    import boto3

    idp, identity = _clients(request)
    email, password = request["email"], request["password"]
    pool_id, client_id = request["user_pool_id"], request["client_id"]
    try:
        idp.sign_up(ClientId=client_id, Username=email, Password=password,
                    UserAttributes=[{"Name": "email", "Value": email}])  # fmt: skip
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
    except idp.exceptions.UsernameExistsException:
        pass
    tokens = sign_in(idp, client_id, pool_id, email, password)
    provider = f"cognito-idp.{request['region']}.amazonaws.com/{pool_id}"
    logins = {provider: tokens["IdToken"]}
    identity_id = identity.get_id(IdentityPoolId=request["identity_pool_id"], Logins=logins)[
        "IdentityId"
    ]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)[
        "Credentials"
    ]
    s3 = boto3.client(
        "s3", endpoint_url=request["endpoint"], region_name=request["region"],
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )  # fmt: skip
    s3.put_object(
        Bucket=request["bucket"], Key=f"{identity_id}/public/index.html",
        Body=INDEX_HTML.format(handle=request["handle"], apex=request["apex"]).encode(),
        ContentType="text/html; charset=utf-8",
    )  # fmt: skip
    status = _claim(request["http_api_url"], request["handle"], tokens["IdToken"])
    return {"email": email, "password": password, "identity_id": identity_id,
            "handle": request["handle"], "claim_status": str(status)}  # fmt: skip
