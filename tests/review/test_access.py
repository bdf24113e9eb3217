"""out/ACCESS.md: the access matrix, read back from the generated Terraform."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from generator.review.access import render_access
from generator.review.deployed import Deployment, Facts
from tests.conftest import REPO


def matrix(page: str, section: str) -> dict[str, dict[str, str]]:
    """The table under a '## ' heading as {who: {column: cell}}."""
    lines = page.split(f"## {section}\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header[1:], cells[1:], strict=True))
    return rows


def test_committed_page_is_what_generate_renders(deployment: Deployment, facts: Facts) -> None:
    assert (REPO / "out/ACCESS.md").read_text() == render_access(deployment, facts)


def test_files_matrix_of_the_sample(deployment: Deployment, facts: Facts) -> None:
    files = matrix(render_access(deployment, facts), "Users' files (bucket `whimsy-fs`)")
    anyone = files["anyone (no sign-in)"]
    user = files["signed-in user (`whimsy-authenticated`)"]
    assert anyone["your public/"] == anyone["another user's public/"] == "read"
    assert anyone["another user's files"] == anyone["another's drafts/public/"] == "–"
    assert anyone["list the bucket"] == "–"
    assert user["your files"] == "read, write, delete"
    assert user["another user's files"] == "–"  # the promise, on a sample request
    assert user["another user's public/"] == "read"  # as anyone may
    assert user["list your folder"] == "list"
    assert user["list another's folder"] == user["list the bucket"] == "–"
    assert files["function uploads (`whimsy-uploads-fn`)"]["your paint-composer/"] == "write"
    # functions that may do no more than anyone get no row
    assert "function collab (`whimsy-collab-fn`)" not in files


def test_tables_matrix_of_the_sample(deployment: Deployment, facts: Facts) -> None:
    tables = matrix(render_access(deployment, facts), "Tables")
    user = tables["signed-in user (`whimsy-authenticated`)"]
    admin = tables["member of group admins (`whimsy-admin`)"]
    assert user["whimsy-user-data: your items"] == "read, write"
    assert user["whimsy-user-data: another's items"] == "–"
    assert user["zineos-system-config"] == "read" and admin["zineos-system-config"] == "read, write"
    assert all(user[t] == "–" for t in facts.service_tables)
    assert tables["function services (`whimsy-services-fn`)"]["whimsy-services"] == "read, write"


def test_grants_are_listed_in_words(deployment: Deployment, facts: Facts) -> None:
    page = render_access(deployment, facts)
    assert (
        "- allows anyone read (`s3:GetObject`) on `whimsy-fs/<any user id>/public/*` (PublicFolders)"
        in page
    )
    assert (
        "only items whose partition key is <own id> and requests that name their partition keys"
        in page
    )
    assert (
        "**denies** anyone `s3:*` on `whimsy-fs`, `whimsy-fs/*`, only requests without TLS" in page
    )


def test_a_widened_public_path_shows_in_the_matrix(deployment: Deployment, facts: Facts) -> None:
    policies = copy.deepcopy(deployment.bucket_policies)
    public = next(s for s in policies["whimsy-fs"]["Statement"] if s.get("Sid") == "PublicFolders")
    public["Resource"] = "arn:aws:s3:::whimsy-fs/*/public/*"
    page = render_access(dataclasses.replace(deployment, bucket_policies=policies), facts)
    assert (
        matrix(page, "Users' files (bucket `whimsy-fs`)")["anyone (no sign-in)"][
            "another's drafts/public/"
        ]
        == "read"
    )


def test_a_lost_partition_condition_shows_in_the_matrix(
    deployment: Deployment, facts: Facts
) -> None:
    roles = copy.deepcopy(deployment.roles)
    statements: list[dict[str, Any]] = roles["authenticated"].policies[0]["Statement"]
    del next(s for s in statements if s.get("Sid") == "OwnItemsWhimsyUserData")["Condition"]
    page = render_access(dataclasses.replace(deployment, roles=roles), facts)
    user = matrix(page, "Tables")["signed-in user (`whimsy-authenticated`)"]
    assert user["whimsy-user-data: another's items"] == "read, write"
