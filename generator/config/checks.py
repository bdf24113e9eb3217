"""Checks across sections: mistakes that would otherwise only surface at terraform apply.

Each check is a small function of the validated config returning (path, message) pairs; the
loader places them in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path as FsPath

from generator.config import folders
from generator.config.models import WhimsyConfig
from generator.config.yaml_source import Path

Finding = tuple[Path, str]
SECRET_LOOKING = re.compile(r"SECRET|PASSWORD|TOKEN|PRIVATE_KEY|API_KEY")


def covered_by(name: str, certificate_names: list[str]) -> bool:
    """Whether an ACM certificate with these names serves `name` (a wildcard covers one label)."""
    for cert_name in certificate_names:
        if cert_name == name:
            return True
        if cert_name.startswith("*."):
            head, _, rest = name.partition(".")
            if rest == cert_name[2:] and head and head != "*":
                return True
    return False


def _under_apex(name: str, apex: str) -> bool:
    bare = name[2:] if name.startswith("*.") else name
    return bare == apex or bare.endswith("." + apex)


def check_certificate(config: WhimsyConfig) -> Iterator[Finding]:
    apex = config.domains.apex
    seen: set[str] = set()
    for i, name in enumerate(config.domains.certificate_names):
        path: Path = ("domains", "certificate_names", i)
        if name in seen:
            yield path, f"'{name}' is listed twice"
        seen.add(name)
        if not _under_apex(name, apex):
            yield path, f"'{name}' is not {apex} or a name under it (the hosted zone's domain)"


def served_domains(config: WhimsyConfig) -> Iterator[tuple[Path, str]]:
    """Every domain name that a site or API answers on, with where it is declared."""
    sites = config.sites
    if sites.apex:
        yield ("sites", "apex", "domain"), sites.apex.domain
    for i, site in enumerate(sites.legacy_user_sites):
        yield ("sites", "legacy_user_sites", i, "domain"), site.domain
    if sites.user_subdomains:
        yield ("sites", "user_subdomains"), "*." + config.domains.apex
    if config.apis.http:
        yield ("apis", "http", "domain"), config.apis.http.domain
    if config.realtime.websocket:
        yield ("realtime", "websocket", "domain"), config.realtime.websocket.domain


def check_domains(config: WhimsyConfig) -> Iterator[Finding]:
    names = config.domains.certificate_names
    first_use: dict[str, Path] = {}
    for path, domain in served_domains(config):
        if domain in first_use:
            yield path, f"'{domain}' is already used by {'.'.join(map(str, first_use[domain]))}"
            continue
        first_use[domain] = path
        if not _under_apex(domain, config.domains.apex):
            yield path, f"'{domain}' is outside the hosted zone {config.domains.apex}"
        elif not covered_by(domain, names):
            yield (
                path,
                (
                    f"'{domain}' is not covered by the certificate; add it (or a wildcard) "
                    "to domains.certificate_names"
                ),
            )


def check_legacy_sites_are_public(config: WhimsyConfig) -> Iterator[Finding]:
    """A legacy distribution serves <id>/public/ straight from S3: it must be public."""
    public = folders.parse("{identity}/public/*")
    readable = any(
        "read" in rule.anyone and folders.parse(rule.path).covers(public)
        for rule in config.storage.folders
    )
    if not readable:
        for i, _ in enumerate(config.sites.legacy_user_sites):
            yield (
                ("sites", "legacy_user_sites", i),
                (
                    "serves the user's public folder, but no folder rule lets anyone read "
                    "'{identity}/public/*'"
                ),
            )


def check_identity_regions(config: WhimsyConfig) -> Iterator[Finding]:
    region = config.project.region
    for i, site in enumerate(config.sites.legacy_user_sites):
        if not site.identity_id.startswith(region + ":"):
            yield (
                ("sites", "legacy_user_sites", i, "identity_id"),
                (
                    f"identity ids of this platform start with '{region}:' "
                    "(the identity pool's region)"
                ),
            )


def check_buckets(config: WhimsyConfig) -> Iterator[Finding]:
    storage = config.storage
    names: list[tuple[Path, str]] = [
        (("storage", "bucket"), storage.bucket),
        (("storage", "log_bucket"), storage.log_bucket_name),
        (("project", "state", "bucket"), config.project.state.bucket),
    ]
    if config.sites.apex:
        names.append((("sites", "apex", "bucket"), config.sites.apex.bucket))
    if config.sites.apex or config.sites.legacy_user_sites or config.sites.user_subdomains:
        cdn_logs = config.sites.log_bucket or f"{storage.bucket}-cdn-logs"
        names.append((("sites", "log_bucket"), cdn_logs))
    if len(storage.log_bucket_name) > 63:
        yield ("storage", "bucket"), "is too long to derive '<bucket>-logs'; set log_bucket"
    seen: dict[str, Path] = {}
    for path, name in names:
        if name in seen:
            yield path, f"bucket '{name}' is also used by {'.'.join(map(str, seen[name]))}"
        seen.setdefault(name, path)


PUBLIC_PROMISE = (
    "anyone may read only inside a user's public folder ({identity}/public/...): the platform "
    "promises that nobody but the owner reads a user's other files"
)


def check_folder_rules(config: WhimsyConfig) -> Iterator[Finding]:
    rules = config.storage.folders
    parsed = [folders.parse(rule.path) for rule in rules]
    # a rule that breaks the public promise is the error; rules inside it are not "redundant"
    breaking = {i for i, (r, p) in enumerate(zip(rules, parsed, strict=True))
                if r.anyone and not p.in_public_folder}  # fmt: skip
    for i, (rule, pattern) in enumerate(zip(rules, parsed, strict=True)):
        path: Path = ("storage", "folders", i)
        if i in breaking:
            yield (*path, "anyone"), f"{PUBLIC_PROMISE}; '{rule.path}' is not inside it"
        if not rule.owner and not rule.anyone and rule.well_known is None:
            yield path, "grants nothing; give it owner: or anyone: actions, or remove it"
        if "list" in rule.owner and not pattern.subtree:
            yield (*path, "owner"), "'list' applies to folders; end the path with '/*'"
        for j, (other, other_pattern) in enumerate(zip(rules, parsed, strict=True)):
            if j == i:
                continue
            if other_pattern == pattern:
                if j < i:
                    yield (*path, "path"), f"the same path as storage.folders[{j}]"
                continue
            adds = set(rule.owner) - set(other.owner) or set(rule.anyone) - set(other.anyone)
            if (
                other_pattern.covers(pattern)
                and not adds
                and (rule.owner or rule.anyone)
                and j not in breaking
            ):
                yield (
                    (*path, "path"),
                    (
                        f"adds nothing to storage.folders[{j}] ({other.path}), which it lies "
                        "inside; grants add up, so a narrower rule cannot take any away"
                    ),
                )
        if rule.well_known is not None:
            if pattern.subtree:
                yield (*path, "well_known"), "marks a single file; the path must not end in '*'"
            public = any(
                "read" in r.anyone and p.covers(pattern) for r, p in zip(rules, parsed, strict=True)
            )
            if not public:
                yield (
                    (*path, "well_known"),
                    (
                        "well-known files are read by other users' clients, so the path must be "
                        "readable by anyone (inside a folder with anyone: [read])"
                    ),
                )


def check_tables(config: WhimsyConfig) -> Iterator[Finding]:
    seen: set[str] = set()
    for i, table in enumerate(config.kv.tables):
        path: Path = ("kv", "tables", i)
        if table.name in seen:
            yield (*path, "name"), f"table '{table.name}' is declared twice"
        seen.add(table.name)
        if table.sort_key == table.partition_key:
            yield (*path, "sort_key"), "must differ from partition_key"


def check_functions(config: WhimsyConfig, lambdas_dir: FsPath | None) -> Iterator[Finding]:
    tables = {t.name for t in config.kv.tables}
    for name, function in config.functions.items():
        path: Path = ("functions", name)
        # Lambda names (<project>-<function>) stay within AWS's 64 characters by the models'
        # bounds: 20 + 1 + 40.
        for key in function.env:
            if key.startswith("WHIMSY_"):
                yield (*path, "env", key), "names starting with WHIMSY_ are set by whimsy itself"
            elif SECRET_LOOKING.search(key.upper()):
                yield (
                    (*path, "env", key),
                    (
                        f"'{key}' looks like a secret; list the secret's name under secrets: "
                        "instead, so its value never sits in the config or in Terraform"
                    ),
                )
        if lambdas_dir is not None:
            module = function.handler.split(".")[0]
            code = lambdas_dir / name / f"{module}.py"
            if not code.is_file():
                yield path, f"has no code: expected lambdas/{name}/{module}.py next to the config"
        for j, grant in enumerate(function.access.tables):
            if grant.table not in tables:
                yield (
                    (*path, "access", "tables", j, "table"),
                    (f"table '{grant.table}' is not declared under kv.tables"),
                )
        for j, bucket_grant in enumerate(function.access.bucket):
            if "list" in bucket_grant.actions and not folders.parse(bucket_grant.prefix).subtree:
                yield (
                    (*path, "access", "bucket", j, "actions"),
                    ("'list' applies to folders; end the prefix with '/*'"),
                )
        if len(set(function.secrets)) != len(function.secrets):
            yield (*path, "secrets"), "lists a secret twice"
        if function.access.websocket_management and config.realtime.websocket is None:
            yield (
                (*path, "access", "websocket_management"),
                ("there is no WebSocket API to manage; declare realtime.websocket"),
            )


def check_undeclared_code(config: WhimsyConfig, lambdas_dir: FsPath | None) -> Iterator[Finding]:
    """A folder in lambdas/ without a functions: entry would silently never be deployed."""
    if lambdas_dir is None or not lambdas_dir.is_dir():
        return
    for folder in sorted(lambdas_dir.iterdir()):
        if folder.is_dir() and folder.name[0] not in "._" and folder.name not in config.functions:
            yield (
                ("functions",),
                (f"lambdas/{folder.name}/ has no entry under functions:; declare it or remove it"),
            )


def _function_references(config: WhimsyConfig) -> Iterator[tuple[Path, str]]:
    if config.apis.http:
        for i, route in enumerate(config.apis.http.routes):
            yield ("apis", "http", "routes", i, "function"), route.function
    if config.sites.user_subdomains:
        yield (
            ("sites", "user_subdomains", "proxy_function"),
            (config.sites.user_subdomains.proxy_function),
        )
    if config.realtime.websocket:
        yield ("realtime", "websocket", "function"), config.realtime.websocket.function


def check_references(config: WhimsyConfig) -> Iterator[Finding]:
    for path, name in _function_references(config):
        if name not in config.functions:
            yield path, f"function '{name}' is not declared under functions:"
    if config.apis.http:
        seen: dict[str, int] = {}
        for i, route in enumerate(config.apis.http.routes):
            if route.route in seen:
                yield (
                    ("apis", "http", "routes", i, "route"),
                    (f"'{route.route}' is already routed by apis.http.routes[{seen[route.route]}]"),
                )
            seen.setdefault(route.route, i)


def check_user_subdomains(config: WhimsyConfig) -> Iterator[Finding]:
    subdomains = config.sites.user_subdomains
    if subdomains is None:
        return
    tables = {table.name: table for table in config.kv.tables}
    path: Path = ("sites", "user_subdomains")
    wanted = [("handles_table", subdomains.handles_table, None),
              ("usage_table", subdomains.usage_table, "sk")]  # fmt: skip
    for key, name, sort_key in wanted:
        if name is None:
            continue
        table = tables.get(name)
        if table is None:
            yield (*path, key), f"table '{name}' is not declared under kv.tables"
        elif table.access != "service" or table.partition_key != "pk" or table.sort_key != sort_key:
            yield (
                (*path, key),
                (
                    f"table '{name}' must have access: service, partition_key: pk and "
                    f"sort_key: {sort_key or 'null'}"
                ),
            )
    region = config.project.region
    for handle, identity in subdomains.seed_handles.items():
        if handle in subdomains.reserved_handles:
            yield (*path, "seed_handles", handle), f"'{handle}' is a reserved handle"
        if not identity.startswith(region + ":"):
            yield (
                (*path, "seed_handles", handle),
                (f"identity ids of this platform start with '{region}:'"),
            )


def check_s3_triggers(config: WhimsyConfig) -> Iterator[Finding]:
    """S3 refuses two notifications whose filters overlap for the same events."""
    seen: dict[tuple[str, str], str] = {}
    for name, function in config.functions.items():
        for i, trigger in enumerate(function.s3_triggers):
            for event in trigger.events:
                for (other_suffix, other_event), owner in seen.items():
                    overlap = trigger.suffix.endswith(other_suffix) or other_suffix.endswith(
                        trigger.suffix
                    )
                    if other_event == event and overlap:
                        yield (
                            ("functions", name, "s3_triggers", i, "suffix"),
                            (
                                f"overlaps the {event} trigger of function '{owner}' "
                                f"('{other_suffix}'); S3 allows one target per object event"
                            ),
                        )
                seen[(trigger.suffix, event)] = name


def check_websocket_routes(config: WhimsyConfig) -> Iterator[Finding]:
    websocket = config.realtime.websocket
    if websocket is None:
        return
    seen: set[str] = set()
    for i, route in enumerate(websocket.routes):
        if route in seen:
            yield ("realtime", "websocket", "routes", i), f"route '{route}' is listed twice"
        seen.add(route)


def cross_checks(
    config: WhimsyConfig, lambdas_dir: FsPath | None, *, confirmations: bool = True
) -> list[Finding]:
    """Every check across sections. confirmations=False leaves out the check that destructive
    first-adoption changes are confirmed (`whimsy adopt` runs before they can be)."""
    checks: list[Callable[[WhimsyConfig], Iterator[Finding]]] = [
        check_certificate,
        check_domains,
        check_identity_regions,
        check_legacy_sites_are_public,
        check_buckets,
        check_folder_rules,
        check_tables,
        check_references,
        check_websocket_routes,
        check_user_subdomains,
        check_s3_triggers,
    ]
    from generator.config.adoption_checks import ADOPTION_CHECKS, check_adoption_is_confirmed

    checks.extend(
        c for c in ADOPTION_CHECKS if confirmations or c is not check_adoption_is_confirmed
    )
    findings = [finding for check in checks for finding in check(config)]
    findings.extend(check_functions(config, lambdas_dir))
    findings.extend(check_undeclared_code(config, lambdas_dir))
    return findings
