#!/usr/bin/env bash
# Install ministack (the AWS emulator behind `whimsy local` and the e2e tests) into its own
# venv, .tools/venvs/ministack. Its own venv because ministack pins a botocore that conflicts
# with the project's test environment. Two more pins go in with it: boto3, the SDK that the
# AWS Lambda Python runtime provides (ministack runs handlers with this venv's interpreter),
# and cryptography, without which ministack signs Cognito tokens with a dummy key and its
# API Gateway JWT authorizer rejects every token. Idempotent: does nothing when the pinned
# versions are already there. Needs PyPI only.
set -euo pipefail
cd "$(dirname "$0")/.."

MINISTACK_VERSION=1.5.33
# the boto3 release that matches the botocore ministack pins (1.43.106)
BOTO3_VERSION=1.43.106
CRYPTOGRAPHY_VERSION=50.0.2
VENV=.tools/venvs/ministack
PYTHON=${PYTHON:-python3}

installed() {
  "$VENV/bin/python" -c 'import importlib.metadata as m; print(*(m.version(p) for p in ("ministack", "boto3", "cryptography")))' 2>/dev/null
}
if [ -x "$VENV/bin/python" ] && [ "$(installed)" = "$MINISTACK_VERSION $BOTO3_VERSION $CRYPTOGRAPHY_VERSION" ]; then
  exit 0
fi
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check \
  "ministack==$MINISTACK_VERSION" "boto3==$BOTO3_VERSION" "cryptography==$CRYPTOGRAPHY_VERSION"
echo "ministack, boto3, cryptography $(installed) in $VENV"
