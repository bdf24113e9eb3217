"""`whimsy local up | down | status`: the generated platform on a local AWS emulator.

    up      start ministack on 127.0.0.1 (a free port unless --port), apply the committed out/
            to it through a local-only override file, seed a demo user, print the URLs.
            Again on a running platform: re-applies out/ (after a `whimsy generate`).
    down    destroy what up applied, check that nothing is left, stop the emulator.
    status  what is running, where, and how many resources are applied.

Everything lives under .whimsy-local/ (gitignored); out/ is only read. See docs/local.md.
Only the standard library and light generator modules are imported at module level.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from generator.errors import UserError
from generator.local import emulator, override, remote, state, urls, workdir

DEFAULT_OUT = Path("out")
DEFAULT_STATE_DIR = Path(".whimsy-local")
DEFAULT_HANDLE = "demo"
DEFAULT_EMAIL = "demo@example.com"
EXIT_OK, EXIT_PROBLEM = 0, 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="local_command", required=True, metavar="ACTION")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--state-dir", type=Path, default=DEFAULT_STATE_DIR, metavar="DIR",
            help="where the working copy, Terraform state and logs live (default: .whimsy-local)",
        )  # fmt: skip

    up = actions.add_parser(
        "up", help="start the emulator, apply out/ to it, seed a demo user, print the URLs"
    )
    common(up)
    up.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                    help="the generated tree to apply (default: out)")  # fmt: skip
    up.add_argument("--port", type=_port, default=None,
                    help="the emulator's port on 127.0.0.1 (default: a free one)")  # fmt: skip
    up.add_argument("--no-seed", action="store_true", help="apply only; no demo user")
    up.add_argument("--handle", default=DEFAULT_HANDLE,
                    help=f"the demo user's handle (default: {DEFAULT_HANDLE})")  # fmt: skip
    up.add_argument("--email", default=DEFAULT_EMAIL,
                    help=f"the demo user's email (default: {DEFAULT_EMAIL})")  # fmt: skip

    down = actions.add_parser("down", help="destroy the local platform and stop the emulator")
    common(down)
    down.add_argument("--keep-emulator", action="store_true",
                      help="destroy, but leave the (empty) emulator running")  # fmt: skip

    status = actions.add_parser("status", help="what is running locally, and where")
    common(status)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1024 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be in 1024-65535, got {port}")
    return port


def run(args: argparse.Namespace) -> int:
    handlers = {"up": up, "down": down, "status": status}
    return handlers[args.local_command](args)


def _say(message: str) -> None:
    print(f"whimsy local: {message}", flush=True)


def apex_of(document: dict[str, Any]) -> str:
    """The platform's apex domain, as the generated Terraform names it."""
    functions = (document.get("resource") or {}).get("aws_lambda_function") or {}
    for body in functions.values():
        apex = ((body.get("environment") or {}).get("variables") or {}).get("WHIMSY_APEX")
        if apex:
            return str(apex)
    for body in ((document.get("resource") or {}).get("aws_acm_certificate") or {}).values():
        return str(body["domain_name"])
    raise UserError("the generated Terraform names no apex domain (no functions, no certificate)")


def region_of(document: dict[str, Any]) -> str:
    providers = (document.get("provider") or {}).get("aws") or [{}]
    first = providers[0] if isinstance(providers, list) else providers
    return str(first.get("region") or "us-east-1")


def _running(state_dir: Path) -> state.LocalState | None:
    """The recorded emulator, if it is still the one answering on its port."""
    current = state.load(state_dir)
    if current is None:
        return None
    if emulator.alive(current.pid) and emulator.healthy(current.port):
        return current
    return None


def _start(
    state_dir: Path, found: emulator.Emulator, port: int | None, region: str
) -> state.LocalState:
    stale = state.load(state_dir)
    if stale is not None:  # its emulator is gone, and the deployment with it
        emulator.stop(stale.pid)
        workdir.forget_deployment(state_dir)
    chosen = port if port is not None else emulator.free_port()
    log = (state_dir / "emulator.log").resolve()
    pid = emulator.start(found, chosen, region, log)
    current = state.LocalState(pid=pid, port=chosen, endpoint=emulator.endpoint(chosen),
                               log=str(log), region=region)  # fmt: skip
    state.save(state_dir, current)  # before waiting: `down` can always stop what we started
    emulator.wait_ready(pid, chosen, log)
    _say(f"ministack {found.version} (pid {pid}) on {current.endpoint}, log {log}")
    return current


def up(args: argparse.Namespace) -> int:
    from generator.local.lambdas import emulator_packages
    from generator.local.terraform import Terraform
    from generator.package.dependencies import cache_root

    state_dir: Path = args.state_dir
    document = workdir.read_main(args.out)
    unknown = override.unknown_resource_types(document)
    if unknown:
        raise UserError(
            "whimsy local does not know the emulator endpoint for: " + ", ".join(unknown)
        )
    region, apex = region_of(document), apex_of(document)
    found = emulator.locate(remote.REPO)
    tf_dir = workdir.terraform_dir(state_dir)
    terraform = Terraform.locate(tf_dir, state_dir)

    current = _running(state_dir)
    if current is None:
        current = _start(state_dir, found, args.port, region)
    elif args.port is not None and args.port != current.port:
        raise UserError(
            f"the platform is already running on port {current.port}; "
            "`whimsy local down` first to move it"
        )
    else:
        _say(f"emulator already running on {current.endpoint}; re-applying {args.out}")
    base = {"endpoint": current.endpoint, "region": region}
    if not current.zone_id:
        current.zone_id = remote.invoke(found.python, {**base, "action": "create_zone",
                                                       "name": apex})["zone_id"]  # fmt: skip
        state.save(state_dir, current)

    workdir.sync(args.out, state_dir)
    packages = emulator_packages(
        document, args.out / workdir.LAMBDAS, args.out.parent / "lambdas", found.python,
        found.extension_suffixes, cache_root() / "emulator-deps",
        state_dir / workdir.WORK / workdir.EMULATOR_LAMBDAS,
    )  # fmt: skip
    for name in sorted(packages):
        _say(f"{name}: native dependencies reinstalled for the emulator's interpreter")
    workdir.write_json(
        tf_dir / override.LOCAL_OVERRIDE,
        override.local_override(document, current.endpoint, current.zone_id, packages),
    )
    (tf_dir / override.TEARDOWN_OVERRIDE).unlink(missing_ok=True)

    terraform.init()
    _say("terraform apply (the provider's own waits make this take a minute or two)")
    current.apply_seconds = round(terraform.apply(), 1)
    current.applied = True
    current.resources = len(terraform.addresses())
    current.platform = urls.platform(terraform.show())
    state.save(state_dir, current)
    _say(f"applied {current.resources} resources in {current.apply_seconds} s")

    if not args.no_seed:
        current.demo = _seed(found, current, args, apex)
        state.save(state_dir, current)
    print("\n".join(urls.summary(current.platform, current.port, current.demo, apex)))
    _say("`whimsy local down` destroys it all and stops the emulator")
    return EXIT_OK


def _seed(
    found: emulator.Emulator, current: state.LocalState, args: argparse.Namespace, apex: str
) -> dict[str, str]:
    platform = current.platform
    http = platform["apis"].get("http")
    bucket = platform["buckets"].get("user_files")
    if http is None or bucket is None or not platform.get("identity_pool_id"):
        _say("no HTTP API, user files bucket or identity pool: no demo user seeded")
        return {}
    # the same password on every re-apply of this platform (it is local, and printed anyway)
    password = current.demo.get("password") or f"Demo-{secrets.token_urlsafe(12)}-9a"
    answer = remote.invoke(found.python, {
        "action": "seed", "endpoint": current.endpoint, "region": current.region,
        "user_pool_id": platform["user_pool_id"], "client_id": platform["user_pool_client_id"],
        "identity_pool_id": platform["identity_pool_id"], "bucket": bucket,
        "http_api_url": urls.api_url(http["id"], http["stage"], current.port),
        "handle": args.handle, "email": args.email, "password": password, "apex": apex,
    })  # fmt: skip
    return {k: str(v) for k, v in answer.items()}


def down(args: argparse.Namespace) -> int:
    state_dir: Path = args.state_dir
    current = state.load(state_dir)
    if current is None:
        _say("nothing is running")
        return EXIT_OK
    leftovers: dict[str, list[str]] = {}
    failure: UserError | None = None
    if emulator.alive(current.pid) and emulator.healthy(current.port):
        try:
            leftovers = _destroy(state_dir, current)
        except UserError as exc:  # the emulator still goes: stopping it wipes its memory
            failure = exc
        current.applied, current.zone_id, current.resources = False, "", 0
        current.demo, current.platform = {}, {}
        state.save(state_dir, current)
    if args.keep_emulator and emulator.alive(current.pid):
        _say(f"emulator left running on {current.endpoint}")
    else:
        stopped = emulator.stop(current.pid)
        _say("emulator stopped" if stopped else "the emulator had already stopped")
        workdir.forget_deployment(state_dir)
        state.remove(state_dir)
    if failure is not None:
        raise failure
    if leftovers:
        lines = [f"  {kind}: {', '.join(names)}" for kind, names in sorted(leftovers.items())]
        print("left behind in the emulator after destroy:\n" + "\n".join(lines), file=sys.stderr)
        return EXIT_PROBLEM
    return EXIT_OK


def _destroy(state_dir: Path, current: state.LocalState) -> dict[str, list[str]]:
    """Destroy the deployment and the hosted zone; what is still in the emulator afterwards."""
    from generator.local.terraform import Terraform

    found = emulator.locate(remote.REPO)
    tf_dir = workdir.terraform_dir(state_dir)
    terraform = Terraform.locate(tf_dir, state_dir)
    deployed = set(terraform.addresses())
    if deployed:
        teardown = override.teardown_override(workdir.read_main_copy(tf_dir))
        targets = tuple(a for a in override.addresses(teardown) if a in deployed)
        if targets:  # only what exists: a half-done apply must not be completed now
            workdir.write_json(tf_dir / override.TEARDOWN_OVERRIDE, teardown)
            _say("lifting deletion protection (terraform apply)")
            terraform.apply("apply-teardown", targets)
        _say("terraform destroy")
        seconds = terraform.destroy()
        _say(f"destroyed {len(deployed)} resources in {seconds:.1f} s")
        (tf_dir / override.TEARDOWN_OVERRIDE).unlink(missing_ok=True)
    base = {"endpoint": current.endpoint, "region": current.region}
    if current.zone_id:
        remote.invoke(found.python, {**base, "action": "delete_zone", "zone_id": current.zone_id})
    inventory = remote.invoke(found.python, {**base, "action": "inventory"})["inventory"]
    return {kind: names for kind, names in inventory.items() if names}


def status(args: argparse.Namespace) -> int:
    current = state.load(args.state_dir)
    if current is None:
        _say("not running (`whimsy local up` starts it)")
        return EXIT_PROBLEM
    if not (emulator.alive(current.pid) and emulator.healthy(current.port)):
        _say(f"the emulator recorded in {state.path(args.state_dir)} (pid {current.pid}) is "
             "not running; `whimsy local up` starts a fresh one")  # fmt: skip
        return EXIT_PROBLEM
    _say(f"emulator pid {current.pid} on {current.endpoint}, up since "
         f"{time.ctime(_started(current))}")  # fmt: skip
    if not current.applied:
        _say("nothing applied")
        return EXIT_OK
    _say(f"{current.resources} resources applied (in {current.apply_seconds} s)")
    apex = _apex_from_state(args.state_dir)
    print("\n".join(urls.summary(current.platform, current.port, current.demo, apex)))
    return EXIT_OK


def _started(current: state.LocalState) -> float:
    try:
        return Path(f"/proc/{current.pid}").stat().st_mtime
    except OSError:
        return time.time()


def _apex_from_state(state_dir: Path) -> str:
    try:
        return apex_of(workdir.read_main_copy(workdir.terraform_dir(state_dir)))
    except (UserError, OSError, ValueError):
        return "?"
