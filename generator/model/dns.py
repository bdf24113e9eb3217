"""Certificate validation records, keyed by names known before apply."""

from __future__ import annotations


def validation_keys(certificate_names: list[str]) -> list[str]:
    """One DNS validation record per distinct name; '*.x' shares its record with 'x'.

    Terraform needs for_each keys it knows at plan time, so the keys come from the config,
    not from the certificate's (unknown until apply) domain_validation_options.
    """
    keys = []
    for name in certificate_names:
        if name.startswith("*.") and name[2:] in certificate_names:
            continue
        keys.append(name)
    return sorted(keys)


def validation_option(attribute: str, certificate_address: str) -> str:
    """Terraform expression: the validation option's attribute for the current each.key."""
    return (
        f"${{one(distinct([for option in {certificate_address}.domain_validation_options : "
        f"option.{attribute} if option.domain_name == each.key]))}}"
    )
