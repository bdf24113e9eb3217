"""What every part of the gate reports: one finding = (check, resource, message, source)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    """One failed check on one resource.

    check: the check's id, e.g. CKV_AWS_21 (checkov), WHIMSY_S3_TLS_ONLY (whimsy's own rules)
      or PARLIAMENT_RESOURCE_MISMATCH (the policy linter).
    resource: a Terraform address (aws_s3_bucket.user_files) or, for the policy linter, the
      review file of the document (policies/function-catalog.json).
    """

    check: str
    resource: str
    message: str
    source: str  # "checkov" | "whimsy" | "parliament"

    def render(self) -> str:
        return f"{self.check} {self.resource}: {self.message} [{self.source}]"
