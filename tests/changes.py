"""Edits of the sample config that stand for real pull requests, shared by the tests that
generate them and by docs/diff-examples/regenerate.py (which renders their `whimsy diff`)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO, SAMPLE

NOTES_TABLES = """    - name: whimsy-notes             # users' notes, synced across devices
      access: per_user
      partition_key: identity_id
      sort_key: key
    - name: whimsy-note-shares       # share links to notes, only through the notes API
      access: service
      partition_key: link
"""
NOTES_FUNCTION = """  notes:
    description: share links to users' notes
    access:
      tables:
        - {table: whimsy-note-shares, actions: [read, write]}
"""
NOTES_ROUTE = '      - {route: "GET /notes", function: notes, auth: user}\n'
PROFILE = '{prefix: "{identity}/public/whimsy.space/profile.json", actions: [read]}'


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def _once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"the sample no longer has {old!r}"
    return text.replace(old, new, 1)


def routine_change() -> str:
    """A per-user table (which changes the users' role policies, as a folder rule does) and a
    function with its own service table, role, log group, route and permission."""
    text = _once(sample_text(), "\nfunctions:\n", "\nfunctions:\n" + NOTES_FUNCTION)
    text = _once(text, "    routes:\n", "    routes:\n" + NOTES_ROUTE)
    return _once(text, "\n  tables:\n", "\n  tables:\n" + NOTES_TABLES)


def function_reaches_every_folder() -> str:
    """The catalog function granted read on every user's whole folder."""
    return _once(sample_text(), PROFILE, PROFILE.replace("public/whimsy.space/profile.json", "*"))


def sample_project(where: Path, config_text: str) -> Path:
    """A project directory with the config and the sample's functions, plus `notes` when the
    config declares it (the handles function's code under another name)."""
    lambdas = where / "lambdas"
    lambdas.mkdir(parents=True)
    for entry in (REPO / "lambdas").iterdir():
        (lambdas / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    if NOTES_FUNCTION in config_text:
        (lambdas / "notes").symlink_to(REPO / "lambdas/handles", target_is_directory=True)
    (where / "whimsy_config.yaml").write_text(config_text, encoding="utf-8")
    return where
