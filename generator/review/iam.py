"""A small IAM policy evaluator, to decide requests against the documents of generator.model.

One account, one request at a time: an applicable Deny wins, then any applicable Allow, else the
request is implicitly denied. Identity policies (statements without Principal) apply to the
caller; resource policies (statements with Principal) apply when the Principal matches.

Matching follows IAM:
- Action: '*' and '?' wildcards, case-insensitive.
- Resource, ArnLike and ArnEquals: case-sensitive; the six ':'-separated ARN fields are matched
  one by one (the last, the resource, may itself hold ':' and '/'). '*' matches any run of
  characters, '/' included; '?' exactly one character, '/' included.
- Policy variables ${key} in Resource and condition values are replaced by the request's
  context value, which then counts literally (a '*' in it is no wildcard); ${*}, ${?} and ${$}
  stand for those characters. A variable the request does not carry makes the statement not
  apply. A ${tf:...} reference left unresolved is an error (resolve it with resolve_refs).

Not modelled, and refused rather than guessed where a document could ask for it: NotPrincipal,
condition operators other than String(Not)Equals, String(Not)Like, ArnEquals, ArnLike, Bool and
Null (with ForAllValues:/ForAnyValue:), ...IfExists, variables with default values. Nor are
permission boundaries, SCPs, session policies or cross-account rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ContextValue = str | bool | Sequence[str]
Statement = Mapping[str, Any]

_STATEMENT_KEYS = frozenset(
    ("Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "NotResource", "Condition")
)


class PolicyError(ValueError):
    """A document or request this evaluator will not decide (it fails loudly, never guesses)."""


class _Unresolved(Exception):
    """A policy variable names a context key that the request does not carry."""


@dataclass(frozen=True)
class Principal:
    """Who asks: nobody (anonymous), an IAM/STS ARN, an AWS service, or a web identity provider."""

    kind: Literal["anonymous", "aws", "service", "federated"]
    name: str = ""

    @property
    def account(self) -> str:
        fields = self.name.split(":")
        return fields[4] if self.kind == "aws" and len(fields) >= 6 else ""


ANONYMOUS = Principal("anonymous")


@dataclass(frozen=True)
class Request:
    action: str  # e.g. "s3:GetObject"
    resource: str  # an ARN
    principal: Principal = ANONYMOUS
    # Condition keys, e.g. {"aws:SecureTransport": "true", "dynamodb:LeadingKeys": ["..."]}.
    # A list is a multivalued key; an empty list counts as absent.
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    effect: Literal["Allow", "Deny", "ImplicitDeny"]
    statement: str | None  # the deciding statement's Sid, or "policy[i].Statement[j]"


def is_allowed(policies: Sequence[Mapping[str, Any]], request: Request) -> bool:
    return explain(policies, request).allowed


def explain(policies: Sequence[Mapping[str, Any]], request: Request) -> Decision:
    """Decide the request, naming the statement that decided it."""
    context = _Context(request.context)
    statements = _statements(policies)  # every statement is validated before deciding
    if request.principal.kind == "anonymous" and any("Principal" not in s for _, s in statements):
        raise PolicyError(
            "an identity-policy statement (no Principal) was given for an anonymous request;"
            " anonymous callers have no identity policies"
        )
    allowed_by: str | None = None
    for label, statement in statements:
        if _applies(statement, request, context):
            if statement["Effect"] == "Deny":
                return Decision(False, "Deny", label)
            allowed_by = allowed_by or label
    if allowed_by is not None:
        return Decision(True, "Allow", allowed_by)
    return Decision(False, "ImplicitDeny", None)


# --- the request context ---------------------------------------------------------------------


class _Context:
    """Condition keys, looked up case-insensitively as IAM does."""

    def __init__(self, values: Mapping[str, ContextValue]) -> None:
        self._values: dict[str, str | list[str]] = {}
        for key, value in values.items():
            if isinstance(value, bool):
                self._values[key.lower()] = "true" if value else "false"
            elif isinstance(value, str):
                self._values[key.lower()] = value
            elif value:
                self._values[key.lower()] = [str(v) for v in value]

    def get(self, key: str) -> str | list[str] | None:
        return self._values.get(key.lower())

    def variable(self, name: str) -> str:
        if name.startswith("tf:"):
            raise PolicyError(f"unresolved Terraform reference ${{{name}}}; use resolve_refs")
        if "," in name:
            raise PolicyError(f"policy variable defaults are not supported: ${{{name}}}")
        value = self.get(name.strip())
        if value is None:
            raise _Unresolved(name)
        if isinstance(value, list):
            raise PolicyError(f"multivalued key {name} cannot be used as a policy variable")
        return value


# --- wildcard matching -----------------------------------------------------------------------

_Token = tuple[bool, str]  # (is a wildcard, character)


def _tokens(pattern: str, context: _Context | None) -> list[_Token]:
    """Pattern characters; with a context, policy variables become literal characters."""
    tokens: list[_Token] = []
    i = 0
    while i < len(pattern):
        if context is not None and pattern.startswith("${", i):
            end = pattern.find("}", i)
            if end == -1:
                raise PolicyError(f"unterminated policy variable in {pattern!r}")
            name = pattern[i + 2 : end]
            literal = name if name in ("*", "?", "$") else context.variable(name)
            tokens += [(False, c) for c in literal]
            i = end + 1
        else:
            tokens.append((pattern[i] in "*?", pattern[i]))
            i += 1
    return tokens


def _regex(tokens: list[_Token]) -> str:
    return "".join((".*" if c == "*" else ".") if wild else re.escape(c) for wild, c in tokens)


def _fullmatch(tokens: list[_Token], text: str, ignore_case: bool = False) -> bool:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(_regex(tokens), text, flags) is not None


def _arn_fields(tokens: list[_Token]) -> list[list[_Token]]:
    fields: list[list[_Token]] = [[]]
    for token in tokens:
        if token == (False, ":") and len(fields) < 6:
            fields.append([])
        else:
            fields[-1].append(token)
    return fields


def _arn_like(pattern: str, arn: str, context: _Context) -> bool:
    if pattern == "*":
        return True
    fields = _arn_fields(_tokens(pattern, context))
    values = arn.split(":", 5)
    if len(fields) != 6 or len(values) != 6:
        return False
    return all(_fullmatch(f, v) for f, v in zip(fields, values, strict=True))


def _action_like(pattern: str, action: str) -> bool:
    return _fullmatch(_tokens(pattern, None), action, ignore_case=True)


# --- statements ------------------------------------------------------------------------------


def _strings(value: Any, what: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str):
            out.append(item)
        else:
            raise PolicyError(f"{what}: expected strings, got {item!r}")
    return out


def _statements(policies: Sequence[Mapping[str, Any]]) -> list[tuple[str, Statement]]:
    out: list[tuple[str, Statement]] = []
    for p, policy in enumerate(policies):
        if policy.get("Version") != "2012-10-17":
            raise PolicyError(f"policy[{p}]: Version must be 2012-10-17 (variables need it)")
        statements = policy.get("Statement")
        if isinstance(statements, Mapping):
            statements = [statements]
        if not isinstance(statements, list):
            raise PolicyError(f"policy[{p}]: Statement must be a list or a mapping")
        for s, statement in enumerate(statements):
            label = statement.get("Sid") or f"policy[{p}].Statement[{s}]"
            unknown = set(statement) - _STATEMENT_KEYS
            if unknown:
                raise PolicyError(f"{label}: unsupported elements {sorted(unknown)}")
            if statement.get("Effect") not in ("Allow", "Deny"):
                raise PolicyError(f"{label}: Effect must be Allow or Deny")
            if ("Action" in statement) == ("NotAction" in statement):
                raise PolicyError(f"{label}: needs exactly one of Action and NotAction")
            if "Resource" in statement and "NotResource" in statement:
                raise PolicyError(f"{label}: has both Resource and NotResource")
            if "Principal" not in statement and not (
                "Resource" in statement or "NotResource" in statement
            ):
                raise PolicyError(f"{label}: an identity-policy statement needs a Resource")
            _check_conditions(label, statement.get("Condition", {}))
            out.append((label, statement))
    return out


def _element(statement: Statement, name: str, match: Callable[[str], bool]) -> bool:
    """Action/NotAction or Resource/NotResource; a missing pair (trust policies) matches."""
    if name in statement:
        return any(match(p) for p in _strings(statement[name], name))
    if "Not" + name in statement:
        return not any(match(p) for p in _strings(statement["Not" + name], "Not" + name))
    return True


def _principal_matches(spec: Any, principal: Principal) -> bool:
    if spec == "*":
        return True
    if not isinstance(spec, Mapping):
        raise PolicyError(f"Principal must be '*' or a mapping, got {spec!r}")
    for kind, names in spec.items():
        for name in _strings(names, "Principal"):
            if kind == "AWS":
                account = principal.account
                # S3 (like most services) treats {"AWS": "*"} as "*", anonymous included.
                if name == "*" or (principal.kind == "aws" and name == principal.name):
                    return True
                if account and name in (account, f"arn:aws:iam::{account}:root"):
                    return True
            elif kind in ("Service", "Federated"):
                if principal.kind == kind.lower() and name == principal.name:
                    return True
            else:
                raise PolicyError(f"unsupported principal type {kind!r}")
    return False


def _applies(statement: Statement, request: Request, context: _Context) -> bool:
    if "Principal" in statement and not _principal_matches(
        statement["Principal"], request.principal
    ):
        return False
    if not _element(statement, "Action", lambda p: _action_like(p, request.action)):
        return False
    try:
        if not _element(statement, "Resource", lambda p: _arn_like(p, request.resource, context)):
            return False
        return _conditions_hold(statement.get("Condition", {}), context)
    except _Unresolved:
        return False


# --- conditions ------------------------------------------------------------------------------

_Matcher = Callable[[str, str, _Context], bool]


def _string_equals(expected: str, actual: str, context: _Context) -> bool:
    return "".join(c for _, c in _tokens(expected, context)) == actual


def _string_like(expected: str, actual: str, context: _Context) -> bool:
    return _fullmatch(_tokens(expected, context), actual)


def _bool(expected: str, actual: str, context: _Context) -> bool:
    return expected.lower() == actual.lower()


# operator -> (how one policy value matches one context value, negated)
_OPERATORS: dict[str, tuple[_Matcher, bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_arn_like, False),  # IAM matches ArnEquals exactly like ArnLike
    "ArnLike": (_arn_like, False),
    "Bool": (_bool, False),
}


def _operator(operator: str) -> tuple[str, str]:
    """(set qualifier or '', base operator), or PolicyError for what this evaluator lacks."""
    qualifier, _, base = operator.rpartition(":")
    if qualifier not in ("", "ForAllValues", "ForAnyValue") or (
        base not in _OPERATORS and base != "Null"
    ):
        raise PolicyError(f"unknown condition operator {operator!r}")
    if base == "Null" and qualifier:
        raise PolicyError(f"{operator}: Null takes no set qualifier")
    return qualifier, base


def _check_conditions(label: str, block: Any) -> None:
    if not isinstance(block, Mapping):
        raise PolicyError(f"{label}: Condition must be a mapping, got {block!r}")
    for operator, pairs in block.items():
        _, base = _operator(operator)
        if not isinstance(pairs, Mapping):
            raise PolicyError(f"{label}: Condition {operator} must map keys to values")
        for values in pairs.values():
            expected = _strings(values, operator)
            if base == "Null" and any(e.lower() not in ("true", "false") for e in expected):
                raise PolicyError(f"{label}: Null takes 'true' or 'false'")


def _conditions_hold(block: Mapping[str, Any], context: _Context) -> bool:
    """Every operator, and every key under it, must hold (AND). Checked by _check_conditions."""
    for operator, pairs in block.items():
        for key, values in pairs.items():
            if not _condition_holds(operator, key, _strings(values, operator), context):
                return False
    return True


def _condition_holds(operator: str, key: str, expected: list[str], context: _Context) -> bool:
    """One key under one operator; several policy values are alternatives (OR)."""
    qualifier, base = _operator(operator)
    actual = context.get(key)
    if base == "Null":
        return any((e.lower() == "true") == (actual is None) for e in expected)
    match, negated = _OPERATORS[base]

    def holds_for(value: str) -> bool:
        return any(match(e, value, context) for e in expected) != negated

    if not qualifier:
        if actual is None:
            return negated  # an absent key matches nothing; its negation holds
        if isinstance(actual, list):
            raise PolicyError(f"{operator}: multivalued {key} needs ForAllValues/ForAnyValue")
        return holds_for(actual)
    values = [] if actual is None else [actual] if isinstance(actual, str) else actual
    if qualifier == "ForAllValues":
        return all(holds_for(v) for v in values)  # vacuously true when the key is absent
    return any(holds_for(v) for v in values)
