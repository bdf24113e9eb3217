"""IAM policies as SMT constraints over strings (cvc5), for `whimsy prove`.

A request is symbolic where a promise quantifies ("for every key", "for every identity id")
and concrete elsewhere: the action is always concrete (a proof asks once per action in its
universe, combined into one query), and so are the ARN's partition, service, region and account;
the resource part of the ARN and every condition key are string terms.

IAM semantics encoded (the same as generator/review/iam.py, which decides single requests):
- an explicit Deny wins, then any Allow, else implicit deny; identity policies apply to the
  caller, resource policies when their Principal names the caller;
- '*' and '?' in resources and condition patterns, field by field in ARNs;
- policy variables `${key}` become the key's term; a statement that uses a variable the request
  lacks does not apply;
- String(Not)Equals/Like, ArnEquals/Like, Bool and Null, with ForAllValues:/ForAnyValue:.
  A multivalued key (dynamodb:LeadingKeys, cognito amr) is a set of up to two values, or absent;
  negated operators hold for an absent key, ForAllValues holds for an empty set.

Anything else (NotPrincipal, NotResource, ...IfExists, numeric or date operators, a variable
inside a negated pattern, which would need a universal quantifier) raises EncodingError rather
than being guessed: an unsound proof is worse than none.

cvc5 is imported lazily: `whimsy` builds its command line without loading the solver.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MULTIVALUED_KEYS = frozenset(
    ("dynamodb:leadingkeys", "dynamodb:attributes", "cognito-identity.amazonaws.com:amr")
)
SET_SIZE = 3  # values a symbolic multivalued key can hold (own + two kinds of foreign)
_FRESH = itertools.count()  # one counter for the process: fresh names never collide in a query


class EncodingError(ValueError):
    """A policy construct the encoder will not translate (it refuses instead of guessing)."""


def z3() -> Any:
    """cvc5's z3-style API, imported on first use."""
    from generator.errors import require

    return require("cvc5.pythonic", "whimsy prove", "prove")


@dataclass
class Key:
    """A condition key: one string (or a set of up to SET_SIZE strings) and whether it is there."""

    values: list[Any]
    present: Any
    multivalued: bool


@dataclass
class Request:
    """One symbolic request. `principal` is 'anonymous' or an IAM ARN (a role session)."""

    action: str
    arn_fields: tuple[str, str, str, str, str]  # arn, partition, service, region, account
    resource: Any  # string term: the ARN's resource part after resource_prefix
    principal: str
    resource_prefix: str = ""  # a constant start of the resource part, e.g. "bucket/"
    keys: dict[str, Key] = field(default_factory=dict)

    def key(self, name: str) -> Key:
        """A condition key; keys a proof did not fix are free (any value, present or not)."""
        lowered = name.lower()
        if lowered not in self.keys:
            api = z3()
            n = SET_SIZE if lowered in MULTIVALUED_KEYS else 1
            number = next(_FRESH)
            self.keys[lowered] = Key(
                [api.String(f"{lowered}#{number}.{i}") for i in range(n)],
                api.Bool(f"{lowered}#{number}?"),
                lowered in MULTIVALUED_KEYS,
            )
        return self.keys[lowered]

    def set_key(self, name: str, key: Key) -> None:
        self.keys[name.lower()] = key

    def fresh_string(self, hint: str) -> Any:
        return z3().String(f"{hint}#{next(_FRESH)}")


def single(value: Any, present: bool = True) -> Key:
    api = z3()
    term = api.StringVal(value) if isinstance(value, str) else value
    return Key([term], api.BoolVal(present), multivalued=False)


# --- patterns ---------------------------------------------------------------------------------

_Piece = tuple[str, str]  # ("text", chars with wildcards) or ("var", key name)


def pieces(pattern: str) -> list[_Piece]:
    """Split a pattern into wildcard text and policy variables; ${*} ${?} ${$} are literals."""
    out: list[_Piece] = []
    text = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("${", i):
            end = pattern.find("}", i)
            if end == -1:
                raise EncodingError(f"unterminated policy variable in {pattern!r}")
            name = pattern[i + 2 : end]
            if name in ("*", "?", "$"):
                text += "\\" + name  # an escaped literal, see pattern_regex
            else:
                if text:
                    out.append(("text", text))
                    text = ""
                out.append(("var", name))
            i = end + 1
        else:
            text += "\\" + pattern[i] if pattern[i] == "\\" else pattern[i]
            i += 1
    if text:
        out.append(("text", text))
    return out


def pattern_regex(text: str, wildcards: bool) -> Any:
    """A constant cvc5 regular expression for pattern text ('\\x' is a literal x)."""
    api = z3()
    parts: list[Any] = []
    literal = ""
    chars = iter(text)
    for char in chars:
        if char == "\\":
            literal += next(chars)
        elif wildcards and char in "*?":
            if literal:
                parts.append(api.Re(literal))
                literal = ""
            parts.append(api.Star(api.AllChar()) if char == "*" else api.AllChar())
        else:
            literal += char
    if literal or not parts:
        parts.append(api.Re(literal))
    return parts[0] if len(parts) == 1 else api.Concat(*parts)


def _variable(request: Request, name: str, guards: list[Any]) -> Any:
    key = request.key(name)
    if key.multivalued:
        raise EncodingError(f"multivalued key {name} used as a policy variable")
    guards.append(key.present)
    return key.values[0]


def matches(
    request: Request, subject: Any, pattern: str, *, wildcards: bool, positive: bool
) -> Any:
    """subject matches pattern (with '*'/'?' when wildcards), variables resolved from request.

    A pattern with variables and wildcards is split over fresh strings, which is existential:
    only sound where the match is not negated (positive=True).
    """
    api = z3()
    parts = pieces(pattern)
    guards: list[Any] = []
    if all(kind == "text" for kind, _ in parts):
        text = parts[0][1] if parts else ""
        return api.InRe(subject, pattern_regex(text, wildcards))
    if not wildcards or all(kind == "var" or not _has_wildcard(t) for kind, t in parts):
        terms = [
            _variable(request, t, guards) if kind == "var" else api.StringVal(_literal(t))
            for kind, t in parts
        ]
        whole = terms[0] if len(terms) == 1 else api.Concat(*terms)
        return api.And(*guards, subject == whole)
    if not positive:
        raise EncodingError(
            f"pattern {pattern!r} mixes policy variables and wildcards in a negated position"
        )
    terms = []
    constraints = []
    for kind, t in parts:
        if kind == "var":
            terms.append(_variable(request, t, guards))
        else:
            piece = request.fresh_string("piece")
            constraints.append(api.InRe(piece, pattern_regex(t, True)))
            terms.append(piece)
    return api.And(*guards, *constraints, subject == api.Concat(*terms))


def _has_wildcard(text: str) -> bool:
    chars = iter(text)
    for char in chars:
        if char == "\\":
            next(chars)
        elif char in "*?":
            return True
    return False


def _literal(text: str) -> str:
    return text.replace("\\\\", "\x00").replace("\\", "").replace("\x00", "\\")


# --- statements -------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return ["true" if i is True else "false" if i is False else str(i) for i in items]


def action_matches(patterns: Sequence[str], action: str) -> bool:
    """IAM action patterns: '*' and '?' only ('[' is a literal, unlike fnmatch), any case."""
    for pattern in patterns:
        regex = "".join(
            ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower()
        )
        if re.fullmatch(regex, action.lower(), re.DOTALL):
            return True
    return False


def _resource_matches(request: Request, pattern: str, positive: bool) -> Any:
    api = z3()
    if pattern == "*":
        return api.BoolVal(True)
    fields = _split_arn(pattern)
    if len(fields) != 6:
        if pattern.endswith("*"):
            # 'arn:aws:s3:*': a final '*' runs across the remaining ':' fields in IAM
            raise EncodingError(f"ARN pattern {pattern!r} has fewer than six fields")
        return api.BoolVal(False)
    import fnmatch

    for field_pattern, value in zip(fields[:5], request.arn_fields, strict=True):
        if "${" in field_pattern:
            raise EncodingError(f"policy variable in an ARN's leading fields: {pattern!r}")
        if not fnmatch.fnmatchcase(value, field_pattern.replace("[", "[[]")):
            return api.BoolVal(False)
    return _resource_part_matches(request, fields[5], positive)


def _resource_part_matches(request: Request, pattern: str, positive: bool) -> Any:
    """Match the constant prefix in Python, the rest in the solver.

    Peeling "bucket/" off both sides keeps the solver away from concatenations with regular
    expressions, which cvc5 handles far less well than membership of one variable.
    """
    api = z3()
    prefix = request.resource_prefix
    literal = re.split(r"[*?]|\$\{", pattern, maxsplit=1)[0]
    if literal.startswith(prefix):
        return matches(request, request.resource, pattern[len(prefix) :], wildcards=True,
                       positive=positive)  # fmt: skip
    if not prefix.startswith(literal):
        return api.BoolVal(False)  # the constant parts already differ
    whole = api.Concat(api.StringVal(prefix), request.resource)
    return matches(request, whole, pattern, wildcards=True, positive=positive)


def _split_arn(pattern: str) -> list[str]:
    """Split at the first five ':' that are not inside a ${...} variable."""
    fields = [""]
    depth = 0
    for i, char in enumerate(pattern):
        if pattern.startswith("${", i):
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        if char == ":" and depth == 0 and len(fields) < 6:
            fields.append("")
        else:
            fields[-1] += char
    return fields


def principal_matches(spec: Any, principal: str) -> bool:
    """Resource-policy Principal vs the caller ('anonymous' or a role ARN, same account)."""
    if spec == "*":
        return True
    if not isinstance(spec, Mapping):
        raise EncodingError(f"unsupported Principal {spec!r}")
    for kind, value in spec.items():
        for name in _strings(value):
            if kind == "AWS" and name == "*":
                return True
            if kind == "AWS" and principal.startswith("arn:"):
                account = principal.split(":")[4]
                if name in (principal, account, f"arn:aws:iam::{account}:root"):
                    return True
                role = principal.rpartition(":role/")[2]
                session = f"arn:aws:sts::{account}:assumed-role/{role}/"
                if ":role/" in principal and name.startswith(session):
                    return True  # a session of the role (S3 accepts these as principals)
            if kind == "Federated" and principal == f"federated:{name}":
                return True
            if kind == "Service" and principal == f"service:{name}":
                return True
    return False


def statement_applies(request: Request, statement: Mapping[str, Any], positive: bool) -> Any:
    """The constraint under which statement applies to request (None: it never does)."""
    api = z3()
    for unsupported in ("NotPrincipal", "NotResource"):
        if unsupported in statement:
            raise EncodingError(f"{unsupported} is not supported by the prover")
    if "Principal" in statement and not principal_matches(
        statement["Principal"], request.principal
    ):
        return None
    if "Action" in statement:
        if not action_matches(_strings(statement["Action"]), request.action):
            return None
    elif action_matches(_strings(statement["NotAction"]), request.action):
        return None
    # trust policies have no Resource: they are about the role they are attached to
    patterns = _strings(statement.get("Resource", "*"))
    resources = [_resource_matches(request, r, positive) for r in patterns]
    conditions = [
        condition(request, operator, key, _strings(values), positive)
        for operator, block in statement.get("Condition", {}).items()
        for key, values in block.items()
    ]
    return api.And(api.Or(*resources), *conditions)


def condition(request: Request, operator: str, name: str, values: list[str], positive: bool) -> Any:
    api = z3()
    qualifier, _, base = operator.rpartition(":")
    if base.endswith("IfExists"):
        raise EncodingError(f"condition operator {operator} is not supported by the prover")
    key = request.key(name)
    if base == "Null":
        if len(values) != 1 or values[0] not in ("true", "false"):
            raise EncodingError(f"Null takes true or false, not {values}")
        return api.Not(key.present) if values[0] == "true" else key.present
    negated = base in ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike")
    like = base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals",
                    "ArnNotEquals")  # fmt: skip
    if base not in ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "Bool",
                    "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"):  # fmt: skip
        raise EncodingError(f"condition operator {operator} is not supported by the prover")
    inner_positive = positive != negated

    def one(term: Any) -> Any:
        options = [
            matches(request, term, v.lower() if base == "Bool" else v, wildcards=like,
                    positive=inner_positive)
            for v in values
        ]  # fmt: skip
        return api.Or(*options)

    if qualifier == "ForAllValues":
        holds = api.And(*[one(v) if not negated else api.Not(one(v)) for v in key.values])
        return api.Or(api.Not(key.present), holds)
    if qualifier == "ForAnyValue":
        hit = api.Or(*[one(v) if not negated else api.Not(one(v)) for v in key.values])
        return api.And(key.present, hit)
    if qualifier:
        raise EncodingError(f"unknown condition qualifier in {operator}")
    if key.multivalued:
        raise EncodingError(f"{operator} on multivalued key {name}: use ForAllValues/ForAnyValue")
    if negated:
        return api.Or(api.Not(key.present), api.Not(one(key.values[0])))
    return api.And(key.present, one(key.values[0]))


def allowed(
    request: Request,
    identity_policies: Sequence[Mapping[str, Any]],
    resource_policies: Sequence[Mapping[str, Any]],
) -> Any:
    """The constraint under which the request is allowed: some Allow applies and no Deny does."""
    api = z3()
    if request.principal == "anonymous" and identity_policies:
        raise EncodingError("anonymous callers have no identity policies")
    allows: list[Any] = []
    denies: list[Any] = []
    for policy, in_resource_policy in itertools.chain(
        ((p, False) for p in identity_policies), ((p, True) for p in resource_policies)
    ):
        statements = policy["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if not in_resource_policy and "Principal" in statement:
                raise EncodingError("an identity policy statement has a Principal")
            if in_resource_policy and "Principal" not in statement:
                raise EncodingError("a resource policy statement has no Principal")
            deny = statement["Effect"] == "Deny"
            applies = statement_applies(request, statement, positive=not deny)
            if applies is not None:
                (denies if deny else allows).append(applies)
    return api.And(api.Or(*allows) if allows else api.BoolVal(False), api.Not(api.Or(*denies)))
