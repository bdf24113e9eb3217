"""A catalogue of bad configs and the exact report `whimsy validate` gives for each.

Every case is a small YAML text or an edit of the sample whimsy_config.yaml; edits assert that
the text they replace occurs exactly once, so a change to the sample fails here loudly instead
of silently testing something else. Each case runs through the real command line in a
temporary directory (with a copy of lambdas/) and must exit 1 with exactly the expected lines,
which name the file, line and column of the offending token, the dotted path and the problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import generator.config
from generator import cli
from generator.config import parse_config

REPO = Path(__file__).resolve().parents[2]
# The catalogue's exact positions refer to a frozen copy of the sample, so that editing the
# live whimsy_config.yaml does not shift every expected line number here. Other tests check
# the live sample.
SAMPLE = (Path(__file__).parent / "fixtures/catalogue_sample.yaml").read_text(encoding="utf-8")
SAMPLE_FUNCTIONS = [
    "catalog",
    "collab",
    "handles",
    "payments",
    "subdomain-proxy",
    "uploads",
    "usage",
]
FILE = "whimsy_config.yaml"
# The last line of the sample's storage.folders, after which cases add a rule.
FOLDER_RULES_END = "      description: the user's profile, indexed into the software catalog\n"


def edit(*pairs: str, text: str = SAMPLE) -> str:
    """Apply (old, new) replacements in turn; each old text must occur exactly once."""
    assert len(pairs) % 2 == 0, "edit() takes old, new pairs"
    for old, new in zip(pairs[::2], pairs[1::2], strict=True):
        count = text.count(old)
        assert count == 1, f"expected {old!r} exactly once in the config, found it {count} times"
        text = text.replace(old, new)
    return text


def edit_bytes(old: bytes, new: bytes) -> bytes:
    raw = SAMPLE.encode("utf-8")
    assert raw.count(old) == 1, f"expected {old!r} exactly once in the sample"
    return raw.replace(old, new)


@dataclass(frozen=True)
class Bad:
    id: str
    config: str | bytes
    errors: list[str]  # the report without its final "N errors in FILE" line
    drop_lambda: str | None = None  # a lambdas/ folder to leave out of the copy


def write_config(workdir: Path, config: str | bytes, drop_lambda: str | None = None) -> Path:
    """Write config as workdir/whimsy_config.yaml next to a lambdas/ holding a handler for
    each of the frozen sample's functions (but drop_lambda)."""
    for name in SAMPLE_FUNCTIONS:
        if name != drop_lambda:
            (workdir / "lambdas" / name).mkdir(parents=True)
            (workdir / "lambdas" / name / "handler.py").write_text("def handler(e, c): ...\n")
    path = workdir / FILE
    path.write_bytes(config if isinstance(config, bytes) else config.encode("utf-8"))
    return path


def validate(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run `whimsy validate` in workdir on the relative path whimsy_config.yaml."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("WHIMSY_DEBUG", raising=False)
    capsys.readouterr()
    code = cli.main(["validate", "-c", FILE])
    out, err = capsys.readouterr()
    return code, out, err


def summary(count: int) -> str:
    return f"{count} error{'s' if count != 1 else ''} in {FILE}"


CASES = [
    # --- the YAML layer ---------------------------------------------------------------------
    Bad(
        "yaml-syntax-error",
        edit("  apex: whimsy.space\n", "  apex: whimsy.space: www\n"),
        [
            "whimsy_config.yaml:22:21: YAML syntax error: mapping values are not allowed here",
        ],
    ),
    Bad(
        "yaml-syntax-over-indented-key",
        edit("    region: us-east-1\n\ndomains:", "     region: us-east-1\n\ndomains:"),
        [
            "whimsy_config.yaml:19:12: YAML syntax error: mapping values are not allowed here",
        ],
    ),
    Bad(
        "tab-indentation",
        edit("    verify_email: true\n", "\tverify_email: true\n"),
        [
            "whimsy_config.yaml:35:1: tab character found; YAML needs spaces for indentation",
        ],
    ),
    Bad(
        "tab-indentation-small-file",
        "project:\n  name: whimsy\n\tregion: us-east-1\n",
        [
            "whimsy_config.yaml:3:1: tab character found; YAML needs spaces for indentation",
        ],
    ),
    Bad(
        "duplicate-key",
        edit("    mfa: optional ", "    mfa: required\n    mfa: optional "),
        [
            "whimsy_config.yaml:35:5: auth.user_pool.mfa: duplicate key 'mfa' (first defined at line 34)",
        ],
    ),
    Bad(
        "two-duplicate-keys-reported-at-once",
        edit(
            "    mfa: optional ",
            "    mfa: required\n    mfa: optional ",
            "  versioning: true\n",
            "  versioning: true\n  versioning: false\n",
        ),
        [
            "whimsy_config.yaml:35:5: auth.user_pool.mfa: duplicate key 'mfa' (first defined at line 34)",
            "whimsy_config.yaml:53:3: storage.versioning: duplicate key 'versioning' (first defined at line 52)",
        ],
    ),
    Bad(
        "empty-file",
        "",
        [
            "whimsy_config.yaml:1:1: the file is empty; see README.md for a starting config",
        ],
    ),
    Bad(
        "blank-lines-only",
        "\n   \n\n",
        [
            "whimsy_config.yaml:1:1: the file is empty; see README.md for a starting config",
        ],
    ),
    Bad(
        "comment-only-file",
        "# whimsy config\n# to be written\n",
        [
            "whimsy_config.yaml:1:1: the file is empty; see README.md for a starting config",
        ],
    ),
    Bad(
        "document-is-a-list",
        "- project\n- domains\n",
        [
            "whimsy_config.yaml:1:1: the document must be a mapping of sections (project:, domains:, ...)",
        ],
    ),
    Bad(
        "document-is-a-scalar",
        "whimsy\n",
        [
            "whimsy_config.yaml:1:1: the document must be a mapping of sections (project:, domains:, ...)",
        ],
    ),
    Bad(
        "not-utf8",
        edit_bytes(b"  name: whimsy ", b"  name: whims\xe9 "),
        [
            "whimsy_config.yaml:10:14: the file is not valid UTF-8 (byte 0xe9); save it as UTF-8",
        ],
    ),
    Bad(
        "merge-key",
        edit("    tokens:\n", "    tokens:\n      <<: {access_token_minutes: 5}\n"),
        [
            "whimsy_config.yaml:37:7: auth.user_pool.tokens: merge keys ('<<') are not supported; write the keys out",
        ],
    ),
    Bad(
        "unsupported-tag",
        edit("      min_length: 12\n", "      min_length: !env MIN_PASSWORD_LENGTH\n"),
        [
            "whimsy_config.yaml:33:19: auth.user_pool.password.min_length: unsupported YAML tag '!env'; use plain values",
        ],
    ),
    Bad(
        "key-is-not-a-word",
        "? [project, domains]\n: whimsy\n",
        [
            "whimsy_config.yaml:1:3: a key must be a plain word",
        ],
    ),
    # --- shape and types --------------------------------------------------------------------
    Bad(
        "unknown-key-did-you-mean",
        edit("    verify_email: true\n", "    verify_emial: true\n"),
        [
            "whimsy_config.yaml:35:5: auth.user_pool.verify_emial: unknown key 'verify_emial'; did you mean 'verify_email'?",
        ],
    ),
    Bad(
        "unknown-key-no-suggestion",
        edit("    verify_email: true\n", "    colour: blue\n"),
        [
            "whimsy_config.yaml:35:5: auth.user_pool.colour: unknown key 'colour'",
        ],
    ),
    Bad(
        "unknown-key-in-a-function",
        edit("    memory_mb: 512\n", "    memory: 512\n"),
        [
            "whimsy_config.yaml:131:5: functions.subdomain-proxy.memory: unknown key 'memory'; did you mean 'memory_mb'?",
        ],
    ),
    Bad(
        "unknown-key-in-a-list-item",
        edit(
            '{route: "GET /usage", function: usage, auth: user}',
            '{route: "GET /usage", fucntion: usage, auth: user}',
        ),
        [
            "whimsy_config.yaml:112:9: apis.http.routes[6].function: required key 'function' is missing",
            "whimsy_config.yaml:112:31: apis.http.routes[6].fucntion: unknown key 'fucntion'; did you mean 'function'?",
        ],
    ),
    Bad(
        "unknown-top-level-section-did-you-mean",
        edit("realtime:\n", "realtim:\n"),
        [
            "whimsy_config.yaml:160:1: realtim: unknown key 'realtim'; did you mean 'realtime'?",
        ],
    ),
    Bad(
        "unknown-top-level-section",
        SAMPLE + "\nmonitoring:\n  alarms: true\n",
        [
            "whimsy_config.yaml:166:1: monitoring: unknown key 'monitoring'",
        ],
    ),
    Bad(
        "missing-section",
        edit("auth:\n  user_pool:", "auth_:\n  user_pool:"),
        [
            "whimsy_config.yaml:7:1: auth: required key 'auth' is missing",
            "whimsy_config.yaml:28:1: auth_: unknown key 'auth_'; did you mean 'auth'?",
        ],
    ),
    Bad(
        "missing-sections-and-keys",
        "version: 1\nproject:\n  name: whimsy\n",
        [
            "whimsy_config.yaml:1:1: auth: required key 'auth' is missing",
            "whimsy_config.yaml:1:1: domains: required key 'domains' is missing",
            "whimsy_config.yaml:1:1: storage: required key 'storage' is missing",
            "whimsy_config.yaml:2:1: project.region: required key 'region' is missing",
            "whimsy_config.yaml:2:1: project.state: required key 'state' is missing",
        ],
    ),
    Bad(
        "missing-required-key",
        edit("    key: platform/terraform.tfstate\n", ""),
        [
            "whimsy_config.yaml:16:3: project.state.key: required key 'key' is missing",
        ],
    ),
    Bad(
        "missing-required-key-in-a-list-item",
        edit(
            '{route: "GET /usage", function: usage, auth: user}',
            '{route: "GET /usage", function: usage}',
        ),
        [
            "whimsy_config.yaml:112:9: apis.http.routes[6].auth: required key 'auth' is missing",
        ],
    ),
    Bad(
        "text-for-a-number",
        edit("      min_length: 12\n", "      min_length: twelve\n"),
        [
            "whimsy_config.yaml:33:19: auth.user_pool.password.min_length: must be a whole number, not 'twelve'",
        ],
    ),
    Bad(
        "quoted-number",
        edit("      min_length: 12\n", '      min_length: "12"\n'),
        [
            "whimsy_config.yaml:33:19: auth.user_pool.password.min_length: must be a whole number, not '12'",
        ],
    ),
    Bad(
        "number-for-text",
        edit("  name: whimsy ", "  name: 42     "),
        [
            "whimsy_config.yaml:10:9: project.name: must be text, not 42 (put it in quotes)",
        ],
    ),
    Bad(
        "unquoted-account-id",
        edit('  # account_id: "123456789012" ', "  account_id: 123456789012   "),
        [
            "whimsy_config.yaml:12:15: project.account_id: must be text, not 123456789012 (put it in quotes)",
        ],
    ),
    Bad(
        "yes-is-not-a-bool",
        edit("    verify_email: true\n", "    verify_email: yes\n"),
        [
            "whimsy_config.yaml:35:19: auth.user_pool.verify_email: must be true or false, not 'yes'",
        ],
    ),
    Bad(
        "on-is-not-a-bool",
        edit("  versioning: true\n", "  versioning: on\n"),
        [
            "whimsy_config.yaml:51:15: storage.versioning: must be true or false, not 'on'",
        ],
    ),
    Bad(
        "list-for-a-mapping",
        edit(
            "  tags:\n    Project: whimsy-space\n    Owner: platform\n",
            "  tags: [whimsy-space, platform]\n",
        ),
        [
            "whimsy_config.yaml:13:9: project.tags: must be a mapping of keys, not a list",
        ],
    ),
    Bad(
        "mapping-for-a-list",
        edit("    sign_in_with: [email]", "    sign_in_with: {method: email}"),
        [
            "whimsy_config.yaml:31:19: auth.user_pool.sign_in_with: must be a list, not a mapping",
        ],
    ),
    Bad(
        "bad-enum",
        edit("    mfa: optional ", "    mfa: sometimes"),
        [
            "whimsy_config.yaml:34:10: auth.user_pool.mfa: must be one of 'off', 'optional' or 'required', not 'sometimes'",
        ],
    ),
    Bad(
        "number-too-small",
        edit("    memory_mb: 512\n", "    memory_mb: 64\n"),
        [
            "whimsy_config.yaml:131:16: functions.subdomain-proxy.memory_mb: must be at least 128, not 64",
        ],
    ),
    Bad(
        "number-too-large",
        edit("    timeout_seconds: 30\n", "    timeout_seconds: 901\n"),
        [
            "whimsy_config.yaml:156:22: functions.collab.timeout_seconds: must be at most 900, not 901",
        ],
    ),
    Bad(
        "empty-required-list",
        edit("    routes:\n", "    routes: []\n    old_routes:\n"),
        [
            "whimsy_config.yaml:105:13: apis.http.routes: must have at least 1 item(s)",
            "whimsy_config.yaml:106:5: apis.http.old_routes: unknown key 'old_routes'; did you mean 'routes'?",
        ],
    ),
    # --- values -----------------------------------------------------------------------------
    Bad(
        "bad-region",
        edit("  region: us-east-1                  #", "  region: us-middle-1                #"),
        [
            "whimsy_config.yaml:11:11: project.region: 'us-middle-1' is not an AWS region such as us-east-1",
        ],
    ),
    Bad(
        "bucket-uppercase",
        edit("  bucket: whimsy-fs ", "  bucket: Whimsy-FS "),
        [
            "whimsy_config.yaml:47:11: storage.bucket: bucket name 'Whimsy-FS' may use only lowercase letters, digits, dots and hyphens, and must start and end with a letter or digit",
        ],
    ),
    Bad(
        "bucket-too-short",
        edit("  bucket: whimsy-fs ", "  bucket: wf        "),
        [
            "whimsy_config.yaml:47:11: storage.bucket: bucket name 'wf' must be 3 to 63 characters long",
        ],
    ),
    Bad(
        "bucket-like-an-ip-address",
        edit("  bucket: whimsy-fs ", "  bucket: 10.0.0.1  "),
        [
            "whimsy_config.yaml:47:11: storage.bucket: bucket name '10.0.0.1' must not look like an IP address",
        ],
    ),
    Bad(
        "bucket-with-dots",
        edit("  bucket: whimsy-fs ", "  bucket: whimsy.fs "),
        [
            "whimsy_config.yaml:47:11: storage.bucket: bucket name 'whimsy.fs' must not contain dots (they break HTTPS access)",
        ],
    ),
    Bad(
        "bucket-with-double-dot",
        edit("  bucket: whimsy-fs ", "  bucket: whimsy..fs"),
        [
            "whimsy_config.yaml:47:11: storage.bucket: bucket name 'whimsy..fs' must not contain '..', '.-' or '-.'",
        ],
    ),
    Bad(
        "bucket-reserved-prefix",
        edit("  bucket: whimsy-fs ", "  bucket: xn--whimsy"),
        [
            "whimsy_config.yaml:47:11: storage.bucket: bucket name 'xn--whimsy' uses a prefix or suffix that AWS reserves",
        ],
    ),
    Bad(
        "bucket-too-long-for-its-log-bucket",
        edit("  bucket: whimsy-fs ", "  bucket: " + "w" * 60 + " "),
        [
            "whimsy_config.yaml:47:3: storage.bucket: is too long to derive '<bucket>-logs'; set log_bucket",
        ],
    ),
    Bad(
        "bad-domain-uppercase",
        edit("  apex: whimsy.space\n", "  apex: Whimsy.Space\n"),
        [
            "whimsy_config.yaml:22:9: domains.apex: 'Whimsy.Space' is not a lowercase domain name such as whimsy.space",
        ],
    ),
    Bad(
        "bad-domain-single-label",
        edit("    domain: api.whimsy.space\n", "    domain: api\n"),
        [
            "whimsy_config.yaml:100:13: apis.http.domain: 'api' is not a lowercase domain name such as whimsy.space",
        ],
    ),
    Bad(
        "bad-https-origin",
        edit(
            "    cors_origins: [https://whimsy.space]", "    cors_origins: [http://whimsy.space/]"
        ),
        [
            "whimsy_config.yaml:101:20: apis.http.cors_origins[0]: 'http://whimsy.space/' is not an https origin such as https://whimsy.space (no path, no trailing '/')",
        ],
    ),
    Bad(
        "bad-state-key",
        edit("    key: platform/terraform.tfstate", "    key: platform/terraform.json"),
        [
            "whimsy_config.yaml:18:10: project.state.key: 'platform/terraform.json' is not an S3 key ending in .tfstate",
        ],
    ),
    Bad(
        "identity-id-malformed",
        edit("      identity_id: us-east-1:", "      identity_id: "),
        [
            "whimsy_config.yaml:94:20: sites.legacy_user_sites[0].identity_id: 'e4d94092-1099-4c4d-aa01-1dbbf7e1f1df' is not a Cognito identity id such as us-east-1:e4d94092-1099-4c4d-aa01-1dbbf7e1f1df",
        ],
    ),
    Bad(
        "bad-function-name",
        edit("  subdomain-proxy:\n", "  Subdomain_Proxy:\n"),
        [
            "whimsy_config.yaml:129:3: functions.Subdomain_Proxy: 'Subdomain_Proxy' is not a function name: lowercase letters, digits and '-', starting with a letter, at most 40 characters",
        ],
    ),
    Bad(
        "function-name-too-long",
        edit("  usage:\n", "  " + "usage-metering-for-hosts-and-callers-abc" + "x:\n"),
        [
            "whimsy_config.yaml:149:3: functions.usage-metering-for-hosts-and-callers-abcx: 'usage-metering-for-hosts-and-callers-abcx' is not a function name: lowercase letters, digits and '-', starting with a letter, at most 40 characters",
        ],
    ),
    Bad(
        "env-var-that-looks-like-a-secret",
        edit(
            "    timeout_seconds: 30\n",
            "    timeout_seconds: 30\n    env:\n      STRIPE_SECRET_KEY: sk_live_123\n",
        ),
        [
            "whimsy_config.yaml:158:7: functions.collab.env.STRIPE_SECRET_KEY: 'STRIPE_SECRET_KEY' looks like a secret; list the secret's name under secrets: instead, so its value never sits in the config or in Terraform",
        ],
    ),
    Bad(
        "bad-log-retention",
        edit("    timeout_seconds: 30\n", "    timeout_seconds: 30\n    log_retention_days: 10\n"),
        [
            "whimsy_config.yaml:157:25: functions.collab.log_retention_days: must be one of the values CloudWatch accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        ],
    ),
    Bad(
        "secret-listed-twice",
        edit(
            "[whimsy/stripe-secret-key, whimsy/stripe-webhook-secret]",
            "[whimsy/stripe-secret-key, whimsy/stripe-secret-key]",
        ),
        [
            "whimsy_config.yaml:125:5: functions.payments.secrets: lists a secret twice",
        ],
    ),
    # --- storage folder rules ---------------------------------------------------------------
    Bad(
        "folder-rule-outside-identity",
        edit('    - path: "{identity}/public/*"', '    - path: "public/*"'),
        [
            "whimsy_config.yaml:61:13: storage.folders[1].path: must start with '{identity}/' (the owner's identity id folder)",
        ],
    ),
    Bad(
        "folder-rule-with-dotdot",
        edit('    - path: "{identity}/public/*"', '    - path: "{identity}/public/../*"'),
        [
            "whimsy_config.yaml:61:13: storage.folders[1].path: must not contain '.' or '..' segments",
        ],
    ),
    Bad(
        "folder-rule-star-in-the-middle",
        edit('    - path: "{identity}/public/*"', '    - path: "{identity}/*/public"'),
        [
            "whimsy_config.yaml:61:13: storage.folders[1].path: may use '*' only as the whole last segment ('folder/*')",
        ],
    ),
    Bad(
        "folder-action-listed-twice",
        edit("      owner: [read, write, delete, list]", "      owner: [read, write, read]"),
        [
            "whimsy_config.yaml:59:14: storage.folders[0].owner: lists an action twice",
        ],
    ),
    Bad(
        "anyone-may-only-read",
        edit("      anyone: [read]\n", "      anyone: [write]\n"),
        [
            "whimsy_config.yaml:62:16: storage.folders[1].anyone[0]: must be one of 'read', not 'write'",
        ],
    ),
    Bad(
        # the whole folder world-readable: refused at the rule that does it, with the promise;
        # the public/* rule inside it is not blamed as redundant
        "anyone-reads-every-users-folder",
        edit(
            "      owner: [read, write, delete, list]\n",
            "      owner: [read, write, delete, list]\n      anyone: [read]\n",
        ),
        [
            "whimsy_config.yaml:60:7: storage.folders[0].anyone: anyone may read only inside a "
            "user's public folder ({identity}/public/...): the platform promises that nobody but "
            "the owner reads a user's other files; '{identity}/*' is not inside it",
        ],
    ),
    Bad(
        "anyone-reads-a-shared-folder",
        edit(
            FOLDER_RULES_END,
            FOLDER_RULES_END + '    - path: "{identity}/shared/*"\n      anyone: [read]\n',
        ),
        [
            "whimsy_config.yaml:68:7: storage.folders[3].anyone: anyone may read only inside a "
            "user's public folder ({identity}/public/...): the platform promises that nobody but "
            "the owner reads a user's other files; '{identity}/shared/*' is not inside it",
        ],
    ),
    Bad(
        "list-on-a-single-file",
        edit(
            FOLDER_RULES_END,
            FOLDER_RULES_END
            + '    - path: "{identity}/notes.txt"\n      owner: [list]\n      anyone: [read]\n',
        ),
        [
            "whimsy_config.yaml:68:7: storage.folders[3].owner: 'list' applies to folders; end the path with '/*'",
            "whimsy_config.yaml:69:7: storage.folders[3].anyone: anyone may read only inside a "
            "user's public folder ({identity}/public/...): the platform promises that nobody but "
            "the owner reads a user's other files; '{identity}/notes.txt' is not inside it",
        ],
    ),
    Bad(
        "narrower-rule-adds-nothing",
        edit(
            FOLDER_RULES_END,
            FOLDER_RULES_END + '    - path: "{identity}/drafts/*"\n      owner: [read, write]\n',
        ),
        [
            "whimsy_config.yaml:67:7: storage.folders[3].path: adds nothing to storage.folders[0] ({identity}/*), which it lies inside; grants add up, so a narrower rule cannot take any away",
        ],
    ),
    Bad(
        "duplicate-folder-path",
        edit(
            FOLDER_RULES_END,
            FOLDER_RULES_END + '    - path: "{identity}/public/*"\n      anyone: [read]\n',
        ),
        [
            "whimsy_config.yaml:67:7: storage.folders[3].path: the same path as storage.folders[1]",
        ],
    ),
    Bad(
        "folder-rule-grants-nothing",
        edit(
            FOLDER_RULES_END,
            FOLDER_RULES_END + '    - path: "{identity}/drafts/*"\n      description: drafts\n',
        ),
        [
            "whimsy_config.yaml:67:7: storage.folders[3]: grants nothing; give it owner: or anyone: actions, or remove it",
        ],
    ),
    Bad(
        "well-known-file-not-public",
        edit(
            '    - path: "{identity}/public/whimsy.space/profile.json"',
            '    - path: "{identity}/profile.json"',
        ),
        [
            "whimsy_config.yaml:65:7: storage.folders[2].well_known: well-known files are read by other users' clients, so the path must be readable by anyone (inside a folder with anyone: [read])",
        ],
    ),
    Bad(
        "well-known-on-a-folder",
        edit(
            '    - path: "{identity}/public/whimsy.space/profile.json"',
            '    - path: "{identity}/public/whimsy.space/*"',
        ),
        [
            "whimsy_config.yaml:65:7: storage.folders[2].well_known: marks a single file; the path must not end in '*'",
        ],
    ),
    # --- cross-checks -----------------------------------------------------------------------
    Bad(
        "certificate-name-outside-apex",
        edit('    - "*.whimsy.space"', '    - "*.whimsy.space"\n    - shop.whimsy.example'),
        [
            "whimsy_config.yaml:27:7: domains.certificate_names[2]: 'shop.whimsy.example' is not whimsy.space or a name under it (the hosted zone's domain)",
        ],
    ),
    Bad(
        "certificate-name-twice",
        edit('    - "*.whimsy.space"', '    - "*.whimsy.space"\n    - whimsy.space'),
        [
            "whimsy_config.yaml:27:7: domains.certificate_names[2]: 'whimsy.space' is listed twice",
        ],
    ),
    Bad(
        "site-domain-not-covered-by-certificate",
        edit(
            "    domain: whimsy.space\n    bucket:",
            "    domain: www.shop.whimsy.space\n    bucket:",
        ),
        [
            "whimsy_config.yaml:89:5: sites.apex.domain: 'www.shop.whimsy.space' is not covered by the certificate; add it (or a wildcard) to domains.certificate_names",
        ],
    ),
    Bad(
        "api-domain-not-covered-by-certificate",
        edit("    domain: api.whimsy.space\n", "    domain: v1.api.whimsy.space\n"),
        [
            "whimsy_config.yaml:100:5: apis.http.domain: 'v1.api.whimsy.space' is not covered by the certificate; add it (or a wildcard) to domains.certificate_names",
        ],
    ),
    Bad(
        "api-domain-outside-the-zone",
        edit("    domain: api.whimsy.space\n", "    domain: api.whimsy.example\n"),
        [
            "whimsy_config.yaml:100:5: apis.http.domain: 'api.whimsy.example' is outside the hosted zone whimsy.space",
        ],
    ),
    Bad(
        "duplicate-served-domain",
        edit("    domain: api.whimsy.space\n", "    domain: collab.whimsy.space\n"),
        [
            "whimsy_config.yaml:162:5: realtime.websocket.domain: 'collab.whimsy.space' is already used by apis.http.domain",
        ],
    ),
    Bad(
        "bucket-used-twice",
        edit("    bucket: whimsy-space-site", "    bucket: whimsy-fs"),
        [
            "whimsy_config.yaml:90:5: sites.apex.bucket: bucket 'whimsy-fs' is also used by storage.bucket",
        ],
    ),
    Bad(
        "route-to-undeclared-function",
        edit('{route: "GET /usage", function: usage,', '{route: "GET /usage", function: metering,'),
        [
            "whimsy_config.yaml:112:31: apis.http.routes[6].function: function 'metering' is not declared under functions:",
        ],
    ),
    Bad(
        "proxy-function-undeclared",
        edit("{proxy_function: subdomain-proxy,", "{proxy_function: proxy,"),
        [
            "whimsy_config.yaml:95:21: sites.user_subdomains.proxy_function: function 'proxy' is not declared under functions:",
        ],
    ),
    Bad(
        "function-without-code",
        SAMPLE,
        [
            "whimsy_config.yaml:149:3: functions.usage: has no code: expected lambdas/usage/handler.py next to the config",
        ],
        drop_lambda="usage",
    ),
    Bad(
        "handler-module-without-code",
        edit("    memory_mb: 512\n", "    memory_mb: 512\n    handler: main.handler\n"),
        [
            "whimsy_config.yaml:129:3: functions.subdomain-proxy: has no code: expected lambdas/subdomain-proxy/main.py next to the config",
        ],
    ),
    Bad(
        "duplicate-route",
        edit('{route: "GET /usage", function: usage,', '{route: "GET /catalog", function: usage,'),
        [
            "whimsy_config.yaml:112:10: apis.http.routes[6].route: 'GET /catalog' is already routed by apis.http.routes[4]",
        ],
    ),
    Bad(
        "bad-route-syntax",
        edit('{route: "GET /usage",', '{route: "GET usage",'),
        [
            "whimsy_config.yaml:112:17: apis.http.routes[6].route: 'GET usage' is not a route such as 'POST /uploads' or 'GET /users/{handle}'",
        ],
    ),
    Bad(
        "bad-route-method",
        edit('{route: "GET /usage",', '{route: "FETCH /usage",'),
        [
            "whimsy_config.yaml:112:17: apis.http.routes[6].route: 'FETCH /usage' is not a route such as 'POST /uploads' or 'GET /users/{handle}'",
        ],
    ),
    Bad(
        "kv-sort-key-equals-partition-key",
        edit(
            "      partition_key: identity_id\n      sort_key: key\n",
            "      partition_key: identity_id\n      sort_key: identity_id\n",
        ),
        [
            "whimsy_config.yaml:73:7: kv.tables[0].sort_key: must differ from partition_key",
        ],
    ),
    Bad(
        "unknown-kv-table-in-function-access",
        edit(
            "{table: whimsy-entitlements, actions: [read, write]}",
            "{table: whimsy-entitlement, actions: [read, write]}",
        ),
        [
            "whimsy_config.yaml:128:12: functions.payments.access.tables[0].table: table 'whimsy-entitlement' is not declared under kv.tables",
        ],
    ),
    Bad(
        "legacy-site-identity-from-another-region",
        edit("      identity_id: us-east-1:", "      identity_id: eu-west-1:"),
        [
            "whimsy_config.yaml:94:7: sites.legacy_user_sites[0].identity_id: identity ids of this platform start with 'us-east-1:' (the identity pool's region)",
        ],
    ),
    # --- several at once --------------------------------------------------------------------
    Bad(
        "several-errors-sorted-by-line",
        edit(
            "version: 1\n",
            "",
            "  region: us-east-1                  #",
            "  region: mars-1                     #",
            "      refresh_token_days: 30\n",
            "      refresh_token_days: 0\n",
            "    mfa: optional ",
            "    mfa: sometimes",
        )
        + "version: 2\n",
        [
            "whimsy_config.yaml:10:11: project.region: 'mars-1' is not an AWS region such as us-east-1",
            "whimsy_config.yaml:33:10: auth.user_pool.mfa: must be one of 'off', 'optional' or 'required', not 'sometimes'",
            "whimsy_config.yaml:38:27: auth.user_pool.tokens.refresh_token_days: must be at least 1, not 0",
            "whimsy_config.yaml:164:10: version: must be at most 1, not 2",
        ],
    ),
    Bad(
        "several-cross-check-errors-sorted-by-line",
        edit(
            "{table: whimsy-entitlements, actions: [read, write]}",
            "{table: entitlements, actions: [read, write]}",
            "      identity_id: us-east-1:",
            "      identity_id: eu-west-1:",
            '{route: "GET /usage", function: usage,',
            '{route: "GET /catalog", function: usage,',
            '    - "*.whimsy.space"',
            '    - "*.whimsy.space"\n    - shop.whimsy.example',
        ),
        [
            "whimsy_config.yaml:27:7: domains.certificate_names[2]: 'shop.whimsy.example' is not whimsy.space or a name under it (the hosted zone's domain)",
            "whimsy_config.yaml:95:7: sites.legacy_user_sites[0].identity_id: identity ids of this platform start with 'us-east-1:' (the identity pool's region)",
            "whimsy_config.yaml:113:10: apis.http.routes[6].route: 'GET /catalog' is already routed by apis.http.routes[4]",
            "whimsy_config.yaml:129:12: functions.payments.access.tables[0].table: table 'entitlements' is not declared under kv.tables",
        ],
    ),
]


def test_the_catalogue_is_big_and_its_ids_unique() -> None:
    assert len(CASES) >= 35
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_config_is_reported_exactly(
    case: Bad,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(tmp_path, case.config, case.drop_lambda)
    code, out, err = validate(tmp_path, monkeypatch, capsys)
    assert "Traceback" not in out + err
    assert out == ""
    assert err.split("\n") == [*case.errors, summary(len(case.errors)), ""]
    assert code == 1


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_reported_positions_lie_inside_the_file(case: Bad) -> None:
    """A sanity check on the catalogue itself: every line:col names a real character."""
    raw = case.config if isinstance(case.config, bytes) else case.config.encode("utf-8")
    lines = raw.decode("utf-8", "replace").split("\n")
    for error in case.errors:
        match = re.match(rf"{re.escape(FILE)}:(\d+):(\d+): ", error)
        assert match, error
        line, column = int(match[1]), int(match[2])
        assert 1 <= line <= len(lines), error
        assert 1 <= column <= max(len(lines[line - 1]), 1), error


# --- cases that need more than an exact report ---------------------------------------------


def laughs(levels: int) -> str:
    rows = ["a: &a [" + ", ".join(["lol"] * 10) + "]"]
    for i in range(1, levels):
        name, previous = chr(ord("a") + i), chr(ord("a") + i - 1)
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    return "\n".join(rows) + "\n"


def test_billion_laughs_is_refused_before_expanding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, laughs(9))  # 10**9 strings once expanded
    code, _, err = validate(tmp_path, monkeypatch, capsys)
    assert code == 1
    assert "Traceback" not in err
    # Only the message is pinned: the position (the anchored value's own line, inside `a`)
    # is reported to the maintainers as unhelpful; the alias that pushed past the limit
    # would be more useful.
    first, *rest = err.split("\n")
    assert re.fullmatch(
        rf"{re.escape(FILE)}:\d+:\d+: [a-i](\[\d\])+: anchors and aliases expand to more than "
        r"20000 values; write the config out instead of nesting aliases",
        first,
    ), first
    assert rest == [summary(1), ""]


def test_anchors_and_aliases_within_the_limit_are_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = edit(
        "  region: us-east-1                  #",
        "  region: &region us-east-1          #",
        "    region: us-east-1\n\ndomains:",
        "    region: *region\n\ndomains:",
    )
    write_config(tmp_path, config)
    code, _, err = validate(tmp_path, monkeypatch, capsys)
    assert (code, err) == (0, "")


def test_lambda_names_always_fit_in_64_characters() -> None:
    """<project>-<function> is the Lambda name; the models' bounds keep it within AWS's 64."""
    from generator.config.models import FUNCTION_NAME_PATTERN, Project

    project_max = (
        int(re.search(r"\{1,(\d+)\}", str(Project.model_fields["name"].metadata)).group(1)) + 1
    )
    function_max = int(re.search(r"\{0,(\d+)\}", FUNCTION_NAME_PATTERN).group(1)) + 1
    assert project_max + 1 + function_max <= 64


# --- the command line ----------------------------------------------------------------------


def test_validate_accepts_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    config = REPO / "whimsy_config.yaml"
    code = cli.main(["validate", "-c", str(config)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert re.fullmatch(
        rf"{re.escape(str(config))}: ok \(whimsy, \d+ folder rules, \d+ tables, \d+ functions\)\n",
        out,
    ), out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["frobnicate"],
            # (the rest of the line, "(choose from ...)", is argparse's and varies by version)
            "whimsy: error: argument COMMAND: invalid choice: 'frobnicate'",
        ),
        ([], "whimsy: error: the following arguments are required: COMMAND"),
        (["validate", "--strict"], "whimsy: error: unrecognized arguments: --strict"),
    ],
    ids=["unknown-subcommand", "no-subcommand", "unknown-option"],
)
def test_usage_errors_exit_1(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 1
    out, err = capsys.readouterr()
    assert out == ""
    usage, error, end = err.split("\n")
    assert usage == "usage: whimsy [-h] [--version] COMMAND ..."
    assert error.startswith(message), error
    assert end == ""


def test_missing_config_file_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = validate(tmp_path, monkeypatch, capsys)
    assert (code, out) == (1, "")
    assert err == f"{FILE}: no such file (pass the config with -c FILE)\n"


def test_config_that_is_a_directory_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / FILE).mkdir()
    code, out, err = validate(tmp_path, monkeypatch, capsys)
    assert (code, out) == (1, "")
    assert err == f"{FILE}: is a directory, not a config file\n"


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


def test_internal_error_exits_2_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generator.config, "cross_checks", _boom)
    write_config(tmp_path, SAMPLE)
    code, out, err = validate(tmp_path, monkeypatch, capsys)
    assert (code, out) == (2, "")
    assert err.split("\n") == [
        "whimsy: internal error: RuntimeError: boom",
        "This is a bug in whimsy, not in your config. Rerun with WHIMSY_DEBUG=1 for details.",
        "",
    ]


def test_internal_error_shows_the_traceback_with_whimsy_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generator.config, "cross_checks", _boom)
    write_config(tmp_path, SAMPLE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHIMSY_DEBUG", "1")
    code = cli.main(["validate", "-c", FILE])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("Traceback (most recent call last):")
    assert "RuntimeError: boom" in err


# --- regressions -----------------------------------------------------------------------------
#
# Each case is a bug found by review or fuzzing (first as a strict xfail), now fixed; the
# reason says what used to go wrong.


def assert_clean_rejection(code: int, err: str) -> list[str]:
    """Exit 1 with one well-formed `file:line:col: ` line per problem and a count."""
    assert code == 1, f"exit {code}: {err}"
    assert "Traceback" not in err
    *problems, last, empty = err.split("\n")
    assert empty == ""
    assert last == summary(len(problems))
    for line in problems:
        assert re.match(rf"{re.escape(FILE)}:\d+:\d+: ", line), line
    return problems


Check = Callable[[int, str, bytes], None]


def _bug(case_id: str, reason: str, config: str | bytes, check: Check) -> object:
    del reason  # documentation of what used to go wrong
    return pytest.param(config, check, id=case_id)


def _no_crash(code: int, err: str, raw: bytes) -> None:
    """Accepted (e.g. 0b1100 read as 12) or cleanly rejected: either is a fix."""
    if code == 0:
        assert err == ""
    else:
        assert_clean_rejection(code, err)


def _rejected_at(line: int, column: int) -> Check:
    def check(code: int, err: str, raw: bytes) -> None:
        problems = assert_clean_rejection(code, err)
        assert problems[0].startswith(f"{FILE}:{line}:{column}: "), problems

    return check


def _rejected_without(*words: str) -> Check:
    def check(code: int, err: str, raw: bytes) -> None:
        problems = assert_clean_rejection(code, err)
        for word in words:
            assert all(word not in p for p in problems), problems

    return check


def _yes_is_not_false(code: int, err: str, raw: bytes) -> None:
    if code == 1:
        assert_clean_rejection(code, err)
    else:
        config = parse_config(raw, FILE, None)  # lambdas/ is not what this case is about
        assert config.auth.user_pool.deletion_protection is True, "yes was read as false"


REGRESSIONS = [
    _bug(
        "control-character",
        "ruamel's ReaderError is reported at 1:1 as a two-line 'YAML error: ... position N'",
        edit("    verify_email: true\n", "    verify_email: true\x07\n"),
        _rejected_at(35, 23),
    ),
    _bug(
        "binary-int",
        "0b1100 resolves to int and int('0b1100', 10) raises ValueError: exit 2",
        edit("      min_length: 12\n", "      min_length: 0b1100\n"),
        _no_crash,
    ),
    _bug(
        "huge-int",
        "int() of more than 4300 digits raises ValueError: exit 2",
        edit("      min_length: 12\n", "      min_length: " + "9" * 5000 + "\n"),
        _no_crash,
    ),
    _bug(
        "recursive-alias",
        "a self-referencing alias recurses in _Builder.build: RecursionError, exit 2",
        "version: &v [*v]\n",
        _no_crash,
    ),
    _bug(
        "deep-nesting",
        "a thousand nested flow sequences overflow ruamel's composer: RecursionError, exit 2",
        "version: " + "[" * 1000 + "]" * 1000 + "\n",
        _no_crash,
    ),
    _bug(
        "yaml-1.1-sexagesimal",
        "under %YAML 1.1, 1:30 resolves to int and int('1:30') raises ValueError: exit 2",
        "%YAML 1.1\n---\n" + edit("      min_length: 12\n", "      min_length: 1:30\n"),
        _no_crash,
    ),
    _bug(
        "yaml-1.1-yes-silently-false",
        "under %YAML 1.1, 'yes' resolves to bool and is read as False: deletion protection is "
        "silently turned off and validate exits 0",
        "%YAML 1.1\n---\n"
        + edit("    deletion_protection: true\n", "    deletion_protection: yes\n"),
        _yes_is_not_false,
    ),
    _bug(
        "version-true",
        "version: Literal[1] accepts true (and 1.0) because True == 1",
        edit("version: 1\n", "version: true\n"),
        _rejected_at(7, 10),
    ),
    _bug(
        "newline-in-key",
        "keys and values are echoed unescaped: a newline (or an escape sequence) in one "
        "breaks the one-line-per-error report",
        SAMPLE + '"new\\nsection": 1\n',
        _no_crash,
    ),
    _bug(
        "secret-env-var-not-first",
        "the env validator's error is placed at the env mapping, i.e. its first key, not at "
        "the variable that looks like a secret",
        edit(
            "    timeout_seconds: 30\n",
            "    timeout_seconds: 30\n    env:\n      LOG_LEVEL: info\n"
            "      STRIPE_SECRET_KEY: sk_live_123\n",
        ),
        _rejected_at(159, 7),
    ),
    _bug(
        "aws-env-var-message",
        "an AWS_ variable is reported as \"'AWS_REGION' is not a valid AWS REGION (pattern "
        '^(?!AWS_)...)": the field name is taken from the dict key and the regex is shown',
        edit(
            "    timeout_seconds: 30\n", "    timeout_seconds: 30\n    env:\n      AWS_REGION: x\n"
        ),
        _rejected_without("(pattern", "valid AWS REGION"),
    ),
    _bug(
        "aws-tag-key-message",
        "an aws: tag key is reported as \"'aws:owner' is not a valid aws:owner (pattern ...)\"",
        edit("    Owner: platform\n", "    aws:owner: platform\n"),
        _rejected_without("(pattern", "valid aws:owner"),
    ),
]


@pytest.mark.parametrize(("config", "check"), REGRESSIONS)
def test_regression(
    config: str | bytes,
    check: Check,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_config(tmp_path, config)
    code, _, err = validate(tmp_path, monkeypatch, capsys)
    check(code, err, path.read_bytes())
