"""The pure parts of `whimsy local`: override files, packages for the emulator, URLs, SRP,
state, argument parsing, locating the emulator. No emulator, no Terraform."""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from generator.errors import UserError
from generator.local import commands, emulator, lambdas, override, srp, state, urls, workdir
from tests.conftest import REPO

COMMITTED = json.loads((REPO / "out/terraform/main.tf.json").read_text())
URL = "http://127.0.0.1:45999"


# --- override.py ---


def test_every_committed_resource_type_has_an_emulator_endpoint() -> None:
    assert override.unknown_resource_types(COMMITTED) == []
    keys = override.endpoint_keys(COMMITTED)
    assert "sts" in keys and "apigatewayv2" in keys and "cognitoidp" in keys


def test_an_unknown_resource_type_is_refused_rather_than_sent_to_aws() -> None:
    document = {"resource": {"aws_s3_bucket": {"b": {}}, "aws_kinesis_stream": {"k": {}}}}
    assert override.unknown_resource_types(document) == ["aws_kinesis_stream"]
    with pytest.raises(ValueError, match="aws_kinesis_stream"):
        override.local_override(document, URL, "Z1", {})


def test_local_override_points_both_providers_at_the_emulator_only() -> None:
    document = override.local_override(COMMITTED, URL, "ZLOCAL", {})
    assert document["terraform"] == {"backend": {"local": {"path": "terraform.tfstate"}}}
    providers = document["provider"]["aws"]
    assert [p.get("alias") for p in providers] == [None, "us_east_1"]
    for provider in providers:
        assert provider["access_key"] == "test" and provider["secret_key"] == "test"
        assert provider["s3_use_path_style"] is True
        (endpoints,) = provider["endpoints"]
        assert set(endpoints.values()) == {URL}
        assert set(endpoints) == set(override.endpoint_keys(COMMITTED))
    # the override file names no region and no default tags: those stay as committed
    assert all("region" not in p and "default_tags" not in p for p in providers)


def test_every_route53_record_moves_into_the_emulators_zone() -> None:
    document = override.local_override(COMMITTED, URL, "ZLOCAL", {})
    records = document["resource"]["aws_route53_record"]
    assert set(records) == set(COMMITTED["resource"]["aws_route53_record"])
    assert all(body == {"zone_id": "ZLOCAL"} for body in records.values())


def test_quirk_ignores_name_only_the_emulators_invented_attributes() -> None:
    ignores = override.quirk_ignores(COMMITTED)
    authorizers = COMMITTED["resource"]["aws_apigatewayv2_authorizer"]
    websocket = {n for n, a in authorizers.items() if a["authorizer_type"] == "REQUEST"}
    assert websocket  # the collab $connect authorizer
    for name in authorizers:
        expected = ["authorizer_payload_format_version"]
        if name in websocket:
            expected.append("jwt_configuration")
        assert ignores["aws_apigatewayv2_authorizer"][name] == expected
    assert set(ignores) == {"aws_apigatewayv2_authorizer", "aws_cloudfront_response_headers_policy"}
    # an adopted identity pool's tags (set by TagResource) are not read back by the emulator
    adopted = {**COMMITTED, "import": [{"to": "aws_cognito_identity_pool.identities", "id": "x"}]}
    assert override.quirk_ignores(adopted)["aws_cognito_identity_pool"] == {
        "identities": ["tags_all"]
    }
    document = override.local_override(COMMITTED, URL, "Z", {})
    for kind, names in ignores.items():
        for name, attributes in names.items():
            assert document["resource"][kind][name]["lifecycle"] == {"ignore_changes": attributes}
    plain = override.local_override(COMMITTED, URL, "Z", {}, ignore_quirks=False)
    assert "aws_apigatewayv2_authorizer" not in plain["resource"]


def test_a_record_the_emulator_made_twice_is_imported_by_its_zone() -> None:
    from generator.local.terraform import duplicate_records

    output = (
        "Error: creating Route53 Record: operation error Route 53: ChangeResourceRecordSets, "
        "https response error StatusCode: 400, RequestID: 8523, InvalidChangeBatch: Tried to "
        "create resource record set collab.whimsy.space. type A but it already exists.\n\n"
        "  with aws_route53_record.realtime_a,\n  on main.tf.json line 1825, in resource...\n"
    )
    zones = {"aws_route53_record.realtime_a": "ZLOCAL"}
    assert duplicate_records(output, zones) == [
        ("aws_route53_record.realtime_a", "ZLOCAL_collab.whimsy.space_A")
    ]
    assert duplicate_records(output, {}) == []  # no zone known: not guessed


def test_rebuilt_packages_replace_filename_and_hash_only() -> None:
    packages = {"fn_catalog": ("${path.module}/../lambdas-emulator/catalog.zip", "abc=")}
    document = override.local_override(COMMITTED, URL, "Z", packages)
    assert document["resource"]["aws_lambda_function"] == {
        "fn_catalog": {"filename": "${path.module}/../lambdas-emulator/catalog.zip",
                       "source_code_hash": "abc="}
    }  # fmt: skip


def test_teardown_lifts_every_protection_a_destroy_meets() -> None:
    teardown = override.teardown_override(COMMITTED)["resource"]
    tables = COMMITTED["resource"]["aws_dynamodb_table"]
    protected = {n for n, t in tables.items() if t.get("deletion_protection_enabled")}
    assert protected and set(teardown["aws_dynamodb_table"]) == protected
    assert all(v == {"deletion_protection_enabled": False,
                     "lifecycle": {"prevent_destroy": False}}
               for v in teardown["aws_dynamodb_table"].values())  # fmt: skip
    # prevent_destroy on every stateful resource would stop `whimsy local down`: lifted too
    for kind, bodies in COMMITTED["resource"].items():
        for name, body in bodies.items():
            if body.get("lifecycle", {}).get("prevent_destroy"):
                assert teardown[kind][name]["lifecycle"] == {"prevent_destroy": False}, name
    assert set(teardown["aws_s3_bucket"]) == set(COMMITTED["resource"]["aws_s3_bucket"])
    lifted = {"lifecycle": {"prevent_destroy": False}}
    assert all(v == {"force_destroy": True, **lifted} for v in teardown["aws_s3_bucket"].values())
    assert set(teardown["aws_secretsmanager_secret"]) == set(
        COMMITTED["resource"]["aws_secretsmanager_secret"]
    )
    assert teardown["aws_cognito_user_pool"] == {
        "users": {"deletion_protection": "INACTIVE", **lifted}
    }
    assert "aws_dynamodb_table.whimsy_handles" in override.addresses({"resource": teardown})
    assert override.teardown_override({"resource": {"aws_iam_role": {"r": {}}}}) == {}


def test_lost_lambda_permissions_are_found_in_the_apply_output() -> None:
    from generator.local.terraform import duplicate_permissions

    output = (
        "Error: adding Lambda Permission (whimsy-usage/apigateway-http-get-usage): operation "
        "error Lambda: AddPermission, https response error StatusCode: 409, RequestID: 6, "
        "ResourceConflictException: The statement id (apigateway-http-get-usage) provided "
        "already exists. Please provide a new statement id, or remove the existing statement."
        "\n\n  with aws_lambda_permission.http_get_usage,\n  on main.tf.json line 1580\n"
        "Error: adding Lambda Permission (f/s): ResourceConflictException: The function is "
        "being updated\n\n  with aws_lambda_permission.other,\n"
    )
    assert duplicate_permissions(output) == [
        ("aws_lambda_permission.http_get_usage", "whimsy-usage/apigateway-http-get-usage")
    ]


CI_CREATE_ROLE_ERROR = (  # as CI's loaded emulator answered the provider's retried CreateRole
    "Error: creating IAM Role (whimsy-payments-fn): operation error IAM: CreateRole, https "
    "response error StatusCode: 409, RequestID: 7012f6a1, EntityAlreadyExists: Role with name "
    "whimsy-payments-fn already exists.\n\n  with aws_iam_role.fn_payments,\n"
    "  on main.tf.json line 1143, in resource.aws_iam_role.fn_payments:\n"
)


def test_a_role_the_emulator_made_before_the_retry_is_imported_by_name() -> None:
    from generator.local.terraform import duplicates_by_name

    assert duplicates_by_name(CI_CREATE_ROLE_ERROR) == [
        ("aws_iam_role.fn_payments", "whimsy-payments-fn")
    ]
    # a type imported by something other than the name in the error is never guessed
    policy = CI_CREATE_ROLE_ERROR.replace("IAM Role", "IAM Policy").replace(
        "aws_iam_role.fn_payments", "aws_iam_policy.boundary"
    )
    assert duplicates_by_name(policy) == []
    # nor an error that is not a clash
    denied = CI_CREATE_ROLE_ERROR.replace("EntityAlreadyExists: Role with name "
                                          "whimsy-payments-fn already exists.", "AccessDenied")  # fmt: skip
    assert duplicates_by_name(denied) == []


def test_a_name_another_address_holds_is_a_real_clash_never_imported() -> None:
    from generator.local.terraform import unowned

    lost = [("aws_iam_role.fn_payments", "whimsy-payments-fn")]
    other = {"type": "aws_iam_role", "instances": [{"attributes": {"id": "whimsy-payments-fn"}}]}
    assert unowned(lost, {"resources": [other]}) == []
    assert unowned(lost, {"resources": [{**other, "type": "aws_lambda_function"}]}) == lost
    assert unowned(lost, {}) == lost


def test_the_apply_imports_a_lost_role_once_and_resumes(tmp_path: Path) -> None:
    from generator.local.terraform import Terraform

    calls: list[tuple[str, ...]] = []

    class Scripted(Terraform):
        def run(self, name: str, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[int, str]:
            calls.append(args[:1] + args[-2:] if args[0] == "import" else args[:1])
            if name == "apply":
                (self.logs / "terraform-apply.log").write_text(CI_CREATE_ROLE_ERROR)
                raise UserError("terraform apply failed")
            return 0, ""

    logs = tmp_path / "logs"
    logs.mkdir()
    Scripted("terraform", tmp_path, logs, None).apply()
    assert calls == [("apply",), ("import", "aws_iam_role.fn_payments", "whimsy-payments-fn"),
                     ("apply",)]  # fmt: skip


# --- lambdas.py ---

HOST_SUFFIXES = (".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so")


def test_native_modules_for_another_platform_are_found() -> None:
    names = [
        "rpds/rpds.cpython-312-aarch64-linux-gnu.so",  # Lambda's: not loadable here
        "charset_normalizer/md.cpython-312-aarch64-linux-gnu.so",
        "mine/fast.cpython-311-x86_64-linux-gnu.so",
        "mine/stable.abi3.so",
        "mine/plain.so",
        "handler.py",
    ]
    assert lambdas.foreign_extensions(names, HOST_SUFFIXES) == names[:2][::-1]
    assert lambdas.loadable("a/plain.so", HOST_SUFFIXES)
    assert not lambdas.loadable("a/x.cpython-312-aarch64-linux-gnu.so", HOST_SUFFIXES)


def test_dependencies_are_replaced_and_function_code_is_kept() -> None:
    committed = {
        "handler.py": b"code",
        "whimsy_runtime/__init__.py": b"shared",
        "rpds/__init__.py": b"lambda rpds",
        "rpds/rpds.cpython-312-aarch64-linux-gnu.so": b"arm",
        "rpds_py-2026.9.1.dist-info/METADATA": b"meta",
        "six.py": b"old six",
    }
    host = {
        "rpds/__init__.py": b"host rpds",
        "rpds/rpds.cpython-311-x86_64-linux-gnu.so": b"x86",
        "rpds_py-2026.9.1.dist-info/METADATA": b"host meta",
        "six.py": b"host six",
    }
    merged = lambdas.replace_dependencies(committed, host)
    assert merged == {"handler.py": b"code", "whimsy_runtime/__init__.py": b"shared", **host}
    assert lambdas.top_level("six.py") == "six"
    assert lambdas.top_level("a-1.0.dist-info/RECORD") == "a-1.0.dist-info"


def test_zip_functions_follow_the_committed_filenames() -> None:
    found = lambdas.zip_functions(COMMITTED)
    assert found["fn_catalog"] == "catalog"
    assert set(found.values()) == {p.stem for p in (REPO / "out/lambdas").glob("*.zip")}


def test_source_code_hash_is_terraforms_filebase64sha256() -> None:
    data = b"zip bytes"
    expected = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert lambdas.source_code_hash(data) == expected


def test_zips_without_foreign_native_code_deploy_as_committed(tmp_path: Path) -> None:
    def zipped(files: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    zips = tmp_path / "zips"
    zips.mkdir()
    (zips / "plain.zip").write_bytes(zipped({"handler.py": b"x"}))
    (zips / "native.zip").write_bytes(zipped({"n/n.cpython-312-aarch64-linux-gnu.so": b"arm"}))
    document = {"resource": {"aws_lambda_function": {
        "fn_plain": {"filename": "${path.module}/../lambdas/plain.zip"},
        "fn_native": {"filename": "${path.module}/../lambdas/native.zip"}}}}  # fmt: skip
    with pytest.raises(UserError, match=r"requirements\.txt"):  # no lock to reinstall from
        lambdas.emulator_packages(document, zips, tmp_path / "lambdas", Path(sys.executable),
                                  HOST_SUFFIXES, tmp_path / "cache", tmp_path / "out")  # fmt: skip
    del document["resource"]["aws_lambda_function"]["fn_native"]
    assert lambdas.emulator_packages(document, zips, tmp_path / "lambdas", Path(sys.executable),
                                     HOST_SUFFIXES, tmp_path / "cache", tmp_path / "out") == {}  # fmt: skip


# --- urls.py ---


def _shown(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"values": {"root_module": {"resources": [{"mode": "managed", **r} for r in resources]}}}


SHOWN = _shown([
    {"type": "aws_apigatewayv2_api", "name": "http",
     "values": {"id": "aaaa1111", "protocol_type": "HTTP", "name": "whimsy-api"}},
    {"type": "aws_apigatewayv2_api", "name": "realtime",
     "values": {"id": "bbbb2222", "protocol_type": "WEBSOCKET", "name": "whimsy-collab"}},
    {"type": "aws_apigatewayv2_api", "name": "sites",
     "values": {"id": "cccc3333", "protocol_type": "HTTP", "name": "whimsy-sites"}},
    {"type": "aws_apigatewayv2_stage", "name": "realtime",
     "values": {"api_id": "bbbb2222", "name": "live"}},
    {"type": "aws_apigatewayv2_stage", "name": "http",
     "values": {"api_id": "aaaa1111", "name": "$default"}},
    {"type": "aws_apigatewayv2_api_mapping", "name": "http",
     "values": {"api_id": "aaaa1111", "domain_name": "api.whimsy.space"}},
    {"type": "aws_cognito_user_pool", "name": "users", "values": {"id": "us-east-1_Abc"}},
    {"type": "aws_cognito_user_pool_client", "name": "web", "values": {"id": "client1"}},
    {"type": "aws_cognito_identity_pool", "name": "ids", "values": {"id": "us-east-1:pool"}},
    {"type": "aws_s3_bucket", "name": "user_files", "values": {"bucket": "whimsy-fs"}},
])  # fmt: skip


def test_platform_reads_what_clients_need_from_the_state() -> None:
    found = urls.platform(SHOWN)
    assert found["apis"]["realtime"] == {"id": "bbbb2222", "protocol": "WEBSOCKET",
                                         "name": "whimsy-collab", "stage": "live"}  # fmt: skip
    assert found["apis"]["sites"]["stage"] == "$default"  # no stage resource: the default
    assert found["domains"] == {"api.whimsy.space": "aaaa1111"}
    assert found["user_pool_id"] == "us-east-1_Abc"
    assert found["user_pool_client_id"] == "client1"
    assert found["identity_pool_id"] == "us-east-1:pool"
    assert found["buckets"] == {"user_files": "whimsy-fs"}


def test_urls_use_the_path_form_on_loopback() -> None:
    found = urls.platform(SHOWN)
    assert urls.api_urls(found, 4599) == {
        "http": "http://127.0.0.1:4599/_aws/execute-api/aaaa1111/$default/",
        "realtime": "ws://127.0.0.1:4599/_aws/execute-api/bbbb2222/live/",
        "sites": "http://127.0.0.1:4599/_aws/execute-api/cccc3333/$default/",
        "api.whimsy.space": "http://127.0.0.1:4599/_aws/execute-api/aaaa1111/$default/",
    }
    assert urls.execute_api_host("aaaa1111", 4599) == "aaaa1111.execute-api.localhost:4599"
    assert urls.site_command("http://x/", "alice", "whimsy.space", "/a.txt") == (
        "curl -H 'x-whimsy-host: alice.whimsy.space' 'http://x/a.txt'"
    )
    demo = {"email": "d@example.com", "password": "pw", "identity_id": "id", "handle": "demo"}
    text = "\n".join(urls.summary(found, 4599, demo, "whimsy.space"))
    assert "d@example.com / pw" in text and "x-whimsy-host: demo.whimsy.space" in text
    assert "/_aws/execute-api/cccc3333/$default/" in text


# --- srp.py ---


def test_srp_proof_matches_the_servers_computation() -> None:
    """The client's key and signature equal what a Cognito-style server derives from the
    verifier alone (the server side written out here, independently of srp.respond)."""
    pool, user, password, salt = "us-east-1_TestPool", "user-uuid", "Pass-word-123", "a1b2c3d4e5f6"
    inner = hashlib.sha256(f"TestPool{user}:{password}".encode()).digest()
    x = srp.hash_int(srp.pad(int(salt, 16)), inner)
    verifier = pow(srp.G, x, srp.N)
    b = 123456789123456789
    big_b = (srp.K * verifier + pow(srp.G, b, srp.N)) % srp.N
    session = srp.SrpSession(pool, a=987654321987654321)
    big_a = int(session.srp_a, 16)
    u = srp.hash_int(srp.pad(big_a), srp.pad(big_b))
    server_s = pow(big_a * pow(verifier, u, srp.N), b, srp.N)
    prk = hashlib.sha256  # HKDF by hand: extract with salt u, expand one block
    import hmac

    key = hmac.new(hmac.new(srp.pad(u), srp.pad(server_s), prk).digest(),
                   b"Caldera Derived Key\x01", prk).digest()[:16]  # fmt: skip
    assert srp.password_key(pool, user, password, salt, session.a, big_b) == key
    secret_block = base64.b64encode(b"opaque").decode()
    now = datetime(2024, 3, 5, 9, 7, 3, tzinfo=UTC)
    answer = session.respond({"USER_ID_FOR_SRP": user, "SECRET_BLOCK": secret_block,
                              "SALT": salt, "SRP_B": format(big_b, "x")}, password, now)  # fmt: skip
    assert answer["TIMESTAMP"] == "Tue Mar 5 09:07:03 UTC 2024"
    expected = hmac.new(key, b"TestPool" + user.encode() + b"opaque" + answer["TIMESTAMP"].encode(),
                        prk).digest()  # fmt: skip
    assert base64.b64decode(answer["PASSWORD_CLAIM_SIGNATURE"]) == expected
    assert answer["USERNAME"] == user and answer["PASSWORD_CLAIM_SECRET_BLOCK"] == secret_block
    wrong = srp.password_key(pool, user, password + "x", salt, session.a, big_b)
    assert wrong != key


def test_srp_refuses_a_malicious_b_and_a_bad_pool_id() -> None:
    with pytest.raises(ValueError):
        srp.password_key("us-east-1_P", "u", "p", "ab", 5, srp.N * 3)
    with pytest.raises(ValueError):
        srp.pool_name("nounderscore")
    assert srp.pad(0x80) == b"\x00\x80" and srp.pad(0x7F) == b"\x7f"


# --- state.py, workdir.py ---


def test_state_round_trips_and_tolerates_garbage(tmp_path: Path) -> None:
    assert state.load(tmp_path) is None
    current = state.LocalState(pid=1, port=2, endpoint="e", log="l", region="us-east-1",
                               demo={"email": "x"})  # fmt: skip
    state.save(tmp_path, current)
    assert state.load(tmp_path) == current
    state.path(tmp_path).write_text("{not json")
    assert state.load(tmp_path) is None
    state.remove(tmp_path)
    assert not state.path(tmp_path).exists()


def test_sync_copies_out_and_never_writes_there(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "terraform").mkdir(parents=True)
    (out / "lambdas").mkdir()
    (out / "terraform/main.tf.json").write_text("{}")
    (out / "lambdas/a.zip").write_bytes(b"zip")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    local = tmp_path / "local"
    tf = workdir.sync(out, local)
    (tf / "old.tf.json").write_text("{}")  # a file out/ no longer has
    (tf / override.LOCAL_OVERRIDE).write_text("{}")
    (tf / "terraform.tfstate").write_text("{}")
    workdir.sync(out, local)
    assert sorted(p.name for p in tf.iterdir()) == sorted(
        ["main.tf.json", override.LOCAL_OVERRIDE, "terraform.tfstate"]
    )
    assert (local / "work/lambdas/a.zip").read_bytes() == b"zip"
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    workdir.forget_deployment(local)
    assert not (tf / "terraform.tfstate").exists()
    with pytest.raises(UserError, match="whimsy generate"):
        workdir.read_main(tmp_path / "nowhere")


# --- commands.py: arguments, facts from the Terraform, the emulator's whereabouts ---


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    commands.add_arguments(parser)
    return parser.parse_args(argv)


def test_arguments() -> None:
    args = _parse("up")
    assert (args.local_command, args.out, args.state_dir, args.port) == (
        "up", Path("out"), Path(".whimsy-local"), None)  # fmt: skip
    assert (args.handle, args.no_seed) == ("demo", False)
    args = _parse("up", "--port", "4599", "--no-seed", "-o", "elsewhere")
    assert (args.port, args.no_seed, args.out) == (4599, True, Path("elsewhere"))
    assert _parse("down", "--keep-emulator").keep_emulator is True
    assert _parse("status", "--state-dir", "x").state_dir == Path("x")
    for bad in (["up", "--port", "80"], ["up", "--port", "http"], ["sideways"], []):
        with pytest.raises(SystemExit):
            _parse(*bad)


def test_apex_and_region_come_from_the_committed_terraform() -> None:
    assert commands.apex_of(COMMITTED) == "whimsy.space"
    assert commands.region_of(COMMITTED) == "us-east-1"
    with pytest.raises(UserError):
        commands.apex_of({"resource": {}})


def test_a_missing_emulator_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"install-ministack\.sh"):
        emulator.locate(tmp_path, {})
    with pytest.raises(UserError, match="WHIMSY_MINISTACK"):
        emulator.locate(tmp_path, {"WHIMSY_MINISTACK": str(tmp_path / "nope")})
    # an interpreter without ministack is named, with the same advice
    with pytest.raises(UserError, match="lacks ministack"):
        emulator.locate(tmp_path, {"WHIMSY_MINISTACK": sys.executable})


def test_emulator_environment_is_loopback_in_memory_and_aws_free() -> None:
    env = emulator.environment(4599, "us-east-1", {"AWS_ACCESS_KEY_ID": "AKIAREAL",
                                                   "AWS_ENDPOINT_URL": "https://x", "HOME": "/h",
                                                   "SERVICES": "s3"})  # fmt: skip
    assert env["BIND_HOST"] == "127.0.0.1" and env["GATEWAY_PORT"] == "4599"
    assert env["LAMBDA_EXECUTOR"] == "local" and env["PERSIST_STATE"] == "0"
    assert "AWS_ACCESS_KEY_ID" not in env and "AWS_ENDPOINT_URL" not in env
    assert "SERVICES" not in env and env["HOME"] == "/h"
    assert emulator.endpoint(4599) == "http://127.0.0.1:4599"
    assert not emulator.alive(2**22 + 12345)  # no such process


def test_status_and_down_with_nothing_running(tmp_path: Path) -> None:
    def local(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "generator.local", *argv, "--state-dir",
                               str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip

    status = local("status")
    assert status.returncode == 1 and "not running" in status.stdout
    down = local("down")
    assert down.returncode == 0 and "nothing is running" in down.stdout


def test_the_cli_dispatches_whimsy_local() -> None:
    from generator.cli import main

    with pytest.raises(SystemExit) as shown:
        main(["local", "--help"])
    assert shown.value.code == 0


def test_importing_the_command_module_stays_light() -> None:
    """generator/cli.py imports commands.py for every command: no SDK, no jsii, no pydantic."""
    code = "import sys, generator.local.commands; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=True).stdout.split()  # fmt: skip
    heavy = ("boto3", "botocore", "jsii", "cdktn", "constructs", "pydantic", "ruamel")
    assert [m for m in loaded if m.split(".")[0] in heavy] == []
