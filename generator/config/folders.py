"""Folder-rule paths: '{identity}/public/*' (a subtree) or '{identity}/a/b.json' (one file).

A path always starts with the {identity} placeholder, which stands for the Cognito identity id
of the folder's owner; the rest is literal S3 key segments, with an optional final '*' meaning
"everything below". Pure functions, no AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IDENTITY = "{identity}"
# The one folder the platform lets anyone read: <identity-id>/public/ and what is below it.
PUBLIC_FOLDER = "public"
# An object key (or key pattern) inside it: one folder name (an identity id, or its
# fixed-length IAM pattern), then the public folder. The gate and the diff judge keys by it.
PUBLIC_OBJECT_KEY = re.compile(rf"^[^*/]+/{PUBLIC_FOLDER}/")
_SEGMENT = re.compile(r"[A-Za-z0-9!_.'()-]+")


@dataclass(frozen=True, order=True)
class FolderPattern:
    segments: tuple[str, ...]  # the literal segments after {identity}/
    subtree: bool  # True when the path ends in '/*'

    @property
    def relative_prefix(self) -> str:
        """Key text after '<identity-id>/': 'public/' for a subtree, 'a/b.json' for a file."""
        joined = "/".join(self.segments)
        if self.subtree:
            return f"{joined}/" if joined else ""
        return joined

    def covers(self, other: FolderPattern) -> bool:
        """Whether every key matched by other is matched by self."""
        if not self.subtree:
            return not other.subtree and other.segments == self.segments
        inside = other.segments[: len(self.segments)] == self.segments
        return inside and (other.subtree or len(other.segments) > len(self.segments))

    @property
    def in_public_folder(self) -> bool:
        """Whether every key it matches lies inside <identity-id>/public/."""
        return (
            bool(self.segments)
            and self.segments[0] == PUBLIC_FOLDER
            and (self.subtree or len(self.segments) > 1)
        )

    def __str__(self) -> str:
        return "/".join((IDENTITY, *self.segments, *(["*"] if self.subtree else [])))


def parse(path: str) -> FolderPattern:
    """Parse a folder path, raising ValueError with a plain-words reason."""
    if not path.startswith(IDENTITY + "/"):
        raise ValueError("must start with '{identity}/' (the owner's identity id folder)")
    if len(path) > 512:
        raise ValueError("is longer than 512 characters")
    parts = path[len(IDENTITY) + 1 :].split("/")
    subtree = parts[-1] == "*"
    if subtree:
        parts = parts[:-1]
    for part in parts:
        if part == "":
            raise ValueError(
                "has an empty segment ('//' or a trailing '/'); end a folder with '/*'"
            )
        if part in (".", ".."):
            raise ValueError("must not contain '.' or '..' segments")
        if "*" in part:
            raise ValueError("may use '*' only as the whole last segment ('folder/*')")
        if "{" in part or "}" in part:
            raise ValueError("may use the {identity} placeholder only at the start")
        if not _SEGMENT.fullmatch(part):
            raise ValueError(f"segment '{part}' may use only letters, digits and ! _ . ' ( ) -")
    if not parts and not subtree:
        raise ValueError("names no file or folder; use '{identity}/*' for the whole folder")
    return FolderPattern(tuple(parts), subtree)
