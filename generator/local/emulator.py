"""The AWS emulator process: ministack, found in its own virtualenv, bound to 127.0.0.1.

ministack pins a botocore that the project's environment cannot share, so it lives in its own
venv (.ci/install-ministack.sh builds .tools/venvs/ministack). It is found through
$WHIMSY_MINISTACK (the venv's python, or its `ministack` script) or that venv. The emulator
runs Lambda handlers with this same interpreter, which is why the venv also holds boto3 (the
SDK the Lambda runtime provides) and cryptography (without it ministack cannot sign or check
Cognito tokens).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from generator.errors import UserError

PINNED_VERSION = "1.5.33"  # keep in step with .ci/install-ministack.sh
ENV_PYTHON = "WHIMSY_MINISTACK"
VENV = Path(".tools/venvs/ministack")
INSTALL_HINT = (
    "run .ci/install-ministack.sh (it builds .tools/venvs/ministack from PyPI), or point "
    f"${ENV_PYTHON} at the python (or the `ministack` script) of an environment with "
    f"ministack=={PINNED_VERSION}, boto3 and cryptography"
)
HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
# What the emulator's interpreter must be able to import (see the module docstring).
_REQUIRED = ("ministack", "boto3", "cryptography")
_PROBE = (
    "import importlib.machinery, importlib.metadata as m, json, sys\n"
    "versions = {}\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        versions[name] = m.version(name)\n"
    "    except m.PackageNotFoundError:\n"
    "        versions[name] = None\n"
    "print(json.dumps({'versions': versions,\n"
    "                  'extension_suffixes': importlib.machinery.EXTENSION_SUFFIXES}))\n"
)


@dataclass(frozen=True)
class Emulator:
    """An interpreter that can run ministack, and what it can import."""

    python: Path
    version: str
    extension_suffixes: tuple[str, ...]  # native modules the emulator's Lambda workers load


def _python_of(candidate: Path) -> Path:
    """The interpreter for a path that names a python or a venv's `ministack` script."""
    if candidate.name.startswith("python"):
        return candidate
    sibling = candidate.parent / "python"
    return sibling if sibling.exists() else candidate


def candidates(repo: Path, environ: dict[str, str]) -> list[Path]:
    configured = environ.get(ENV_PYTHON)
    if configured:
        return [_python_of(Path(configured))]
    return [repo / VENV / "bin" / "python"]


def locate(repo: Path, environ: dict[str, str] | None = None) -> Emulator:
    """The emulator's interpreter, checked; a UserError saying how to install it otherwise."""
    environ = dict(os.environ) if environ is None else environ
    for python in candidates(repo, environ):
        if python.is_file() and os.access(python, os.X_OK):
            return probe(python)
        if ENV_PYTHON in environ:
            raise UserError(f"${ENV_PYTHON}={environ[ENV_PYTHON]} is not an executable file")
    raise UserError(f"the AWS emulator (ministack) is not installed: {INSTALL_HINT}")


def probe(python: Path) -> Emulator:
    try:
        result = subprocess.run(
            [str(python), "-c", _PROBE, *_REQUIRED],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        report = json.loads(result.stdout)
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        raise UserError(f"{python} cannot run: {exc}; {INSTALL_HINT}") from exc
    versions: dict[str, str | None] = report["versions"]
    missing = [name for name in _REQUIRED if versions.get(name) is None]
    if missing:
        raise UserError(f"{python} lacks {', '.join(missing)}: {INSTALL_HINT}")
    version = str(versions["ministack"])
    if version != PINNED_VERSION:
        print(
            f"whimsy local: warning: ministack {version} at {python}; whimsy is tested with "
            f"{PINNED_VERSION} (.ci/install-ministack.sh installs it)",
            file=sys.stderr,
        )
    return Emulator(python, version, tuple(report["extension_suffixes"]))


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe_socket:
        probe_socket.bind((HOST, 0))
        return int(probe_socket.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe_socket:
        return probe_socket.connect_ex((HOST, port)) == 0


def endpoint(port: int) -> str:
    return f"http://{HOST}:{port}"


def environment(port: int, region: str, environ: dict[str, str]) -> dict[str, str]:
    """The emulator's environment: bound to loopback on our port, in-memory state, handlers
    run in-process (never Docker), and none of the caller's AWS settings, so that a handler's
    SDK can only ever reach the emulator."""
    env = {k: v for k, v in environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
    env.update(
        {
            "BIND_HOST": HOST,
            "GATEWAY_PORT": str(port),
            "MINISTACK_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "LAMBDA_EXECUTOR": "local",
            "PERSIST_STATE": "0",
            "S3_PERSIST": "0",
            "AUTH": "false",
            "LOG_LEVEL": environ.get("LOG_LEVEL", "WARNING"),
        }
    )
    env.pop("SERVICES", None)
    return env


def start(emulator: Emulator, port: int, region: str, log: Path) -> int:
    """Start ministack in its own session (it outlives this command); its pid."""
    if port_in_use(port):
        raise UserError(f"port {port} on {HOST} is already in use; choose another with --port")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [str(emulator.python), "-m", "ministack"],
            cwd=log.parent,
            env=environment(port, region, dict(os.environ)),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process.pid


def healthy(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint(port)}/_ministack/health", timeout=timeout) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def running(pid: int) -> bool:
    """Whether pid is a live process (a zombie is not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next((line.split()[1] for line in status.splitlines() if line.startswith("State:")), "")
    return state not in ("Z", "X")


def alive(pid: int) -> bool:
    """Whether pid is a running ministack (not merely a recycled pid). Right after exec a
    process's cmdline can read empty for a moment: wait_ready uses running() instead."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"ministack" in cmdline and running(pid)


def wait_ready(pid: int, port: int, log: Path, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(port):
            return
        if not running(pid):
            raise UserError(f"the emulator exited during start-up:\n{tail(log)}")
        time.sleep(0.2)
    stop(pid)
    raise UserError(f"the emulator did not answer on port {port} within {timeout:.0f} s")


def stop(pid: int, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Stop the emulator we started (its session: the Lambda workers it spawned go too).
    False when it was not running."""
    if not alive(pid):
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)  # start() made pid the leader of its own process group
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(pid):
                return True
            time.sleep(0.1)
    return True


def tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
