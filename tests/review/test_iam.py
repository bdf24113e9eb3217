"""The IAM evaluator itself: wildcards, precedence, conditions, variables, refusals."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given, strategies as st

from generator.review.iam import (
    ANONYMOUS,
    ContextValue,
    PolicyError,
    Principal,
    Request,
    explain,
    is_allowed,
)

USER = Principal("aws", "arn:aws:sts::123456789012:assumed-role/user/session")
SUB = "cognito-identity.amazonaws.com:sub"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(resource: Any = "*", action: Any = "s3:GetObject", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def s3(key: str, action: str = "s3:GetObject", /, **context: ContextValue) -> Request:
    return Request(action, f"arn:aws:s3:::b/{key}", USER, context)


# --- wildcards -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("*", "a/b/c", True),  # '*' crosses '/'
        ("a/*", "a/b/c/d", True),
        ("a/*", "a/", True),  # '*' matches the empty string
        ("a/*", "a", False),
        ("*/public/*", "x/drafts/public/y", True),  # the classic over-broad pattern
        ("a/?", "a/x", True),
        ("a/?", "a//", True),  # '?' matches '/' too
        ("a/?", "a/", False),
        ("a/?", "a/xy", False),
        ("a/??/c", "a/b/c", False),
        ("A/*", "a/x", False),  # resources are case-sensitive
        ("a.b", "axb", False),  # regex characters are literal
        ("a+", "aa", False),
        ("x:y/*", "x:y/z", True),  # ':' in the resource field is ordinary
    ],
)
def test_resource_wildcards(pattern: str, key: str, expected: bool) -> None:
    assert is_allowed([policy(allow(f"arn:aws:s3:::b/{pattern}"))], s3(key)) is expected


TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/t"


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("arn:aws:dynamodb:*:123456789012:table/t", TABLE, True),
        ("arn:aws:dynamodb:*:table/t", TABLE, False),  # '*' stays inside one ARN field
        ("arn:aws:dynamodb:eu-west-1:123456789012:table/*", f"{TABLE}/index/i", True),
        ("arn:aws:dynamodb:eu-west-1:123456789012:*", TABLE, True),
        ("arn:aws:dynamodb:eu-west-?:123456789012:table/t", TABLE, True),
        ("arn:aws:s3:::b", "arn:aws:s3:::b/x", False),
        ("arn:aws:s3:::b", "not-an-arn", False),
        ("*", "not-an-arn", True),
    ],
)
def test_arn_fields(pattern: str, arn: str, expected: bool) -> None:
    request = Request("dynamodb:GetItem", arn, USER)
    assert is_allowed([policy(allow(pattern, "dynamodb:GetItem"))], request) is expected


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:getobject", True),  # actions are case-insensitive
        ("S3:Get*", "s3:GetObjectVersion", True),
        ("s3:*", "dynamodb:GetItem", False),
        ("s3:?etObject", "s3:GetObject", True),
        ("*", "sts:AssumeRole", True),
        ("s3:Get", "s3:GetObject", False),
    ],
)
def test_action_wildcards(pattern: str, action: str, expected: bool) -> None:
    assert is_allowed([policy(allow(action=pattern))], s3("k", action)) is expected


def test_not_action_and_not_resource() -> None:
    doc = policy(
        {"Effect": "Allow", "NotAction": "s3:Delete*", "NotResource": "arn:aws:s3:::b/secret/*"}
    )
    assert is_allowed([doc], s3("x", "s3:PutObject"))
    assert not is_allowed([doc], s3("x", "s3:DeleteObject"))
    assert not is_allowed([doc], s3("secret/x", "s3:PutObject"))


# --- precedence ------------------------------------------------------------------------------


def test_explicit_deny_wins_over_allow_in_any_order() -> None:
    deny = {"Sid": "No", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    for docs in ([policy(allow(Sid="Yes"), deny)], [policy(deny), policy(allow(Sid="Yes"))]):
        decision = explain(docs, s3("k"))
        assert (decision.allowed, decision.effect, decision.statement) == (False, "Deny", "No")


def test_implicit_deny_and_explain_names_the_allow() -> None:
    assert explain([], s3("k")).effect == "ImplicitDeny"
    assert explain([policy(allow("arn:aws:s3:::other/*"))], s3("k")).statement is None
    decision = explain([policy(allow("arn:aws:s3:::b/k", Sid="Exact"))], s3("k"))
    assert (decision.allowed, decision.effect, decision.statement) == (True, "Allow", "Exact")


def test_statement_without_sid_is_labelled_by_position() -> None:
    docs = [policy(allow("arn:aws:s3:::other")), policy(allow("arn:aws:s3:::other"), allow())]
    assert explain(docs, s3("k")).statement == "policy[1].Statement[1]"


# --- principals ------------------------------------------------------------------------------

ROLE = "arn:aws:iam::123456789012:role/r"
LOGGING = "logging.s3.amazonaws.com"
COGNITO = "cognito-identity.amazonaws.com"


@pytest.mark.parametrize(
    ("principal_spec", "principal", "expected"),
    [
        ("*", ANONYMOUS, True),
        ("*", USER, True),
        ({"AWS": "*"}, ANONYMOUS, True),  # AWS documents {"AWS": "*"} as equal to "*"
        ({"AWS": ROLE}, Principal("aws", ROLE), True),
        ({"AWS": [ROLE]}, USER, False),
        ({"AWS": "123456789012"}, USER, True),  # an account means any principal in it
        ({"AWS": "arn:aws:iam::123456789012:root"}, USER, True),
        ({"AWS": "arn:aws:iam::999999999999:root"}, USER, False),
        ({"AWS": "123456789012"}, ANONYMOUS, False),
        ({"Service": LOGGING}, Principal("service", LOGGING), True),
        ({"Service": LOGGING}, Principal("federated", LOGGING), False),
        ({"Service": LOGGING}, Principal("service", "lambda.amazonaws.com"), False),
        ({"Federated": COGNITO}, Principal("federated", COGNITO), True),
        ({"Federated": COGNITO}, Principal("federated", "accounts.google.com"), False),
        ({"Federated": COGNITO}, ANONYMOUS, False),
    ],
)
def test_principal(principal_spec: Any, principal: Principal, expected: bool) -> None:
    doc = policy(allow("arn:aws:s3:::b/*", Principal=principal_spec))
    request = Request("s3:GetObject", "arn:aws:s3:::b/k", principal)
    assert is_allowed([doc], request) is expected


def test_trust_policy_statement_without_resource_applies_to_the_role() -> None:
    doc = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    request = Request("sts:AssumeRole", ROLE, Principal("service", "lambda.amazonaws.com"))
    assert is_allowed([doc], request)


def test_identity_statements_refuse_anonymous_requests() -> None:
    with pytest.raises(PolicyError, match="anonymous"):
        is_allowed([policy(allow())], Request("s3:GetObject", "arn:aws:s3:::b/k"))


# --- conditions ------------------------------------------------------------------------------


def cond(condition: dict[str, Any]) -> list[dict[str, Any]]:
    return [policy(allow("arn:aws:s3:::b/*", Condition=condition))]


SOURCE = "aws:SourceArn"
FOR_ALL = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["me"]}}
GUARDED = {**FOR_ALL, "Null": {"dynamodb:LeadingKeys": "false"}}
FOR_ANY = {"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["me"]}}


@pytest.mark.parametrize(
    ("keys", "for_all", "guarded", "for_any"),
    [
        (None, True, False, False),  # ForAllValues is vacuously true for an absent key
        ([], True, False, False),  # an empty list is an absent key
        (["me"], True, True, True),
        (["me", "me"], True, True, True),
        (["you"], False, False, False),
        (["me", "you"], False, False, True),
    ],
)
def test_set_operators(keys: list[str] | None, for_all: bool, guarded: bool, for_any: bool) -> None:
    context: dict[str, ContextValue] = {} if keys is None else {"dynamodb:LeadingKeys": keys}
    request = s3("k", **context)
    assert is_allowed(cond(FOR_ALL), request) is for_all
    assert is_allowed(cond(GUARDED), request) is guarded
    assert is_allowed(cond(FOR_ANY), request) is for_any


def test_set_operator_accepts_a_single_valued_key() -> None:
    assert is_allowed(cond(FOR_ALL), s3("k", **{"dynamodb:LeadingKeys": "me"}))


@pytest.mark.parametrize(
    ("null", "present", "expected"),
    [("true", False, True), ("true", True, False), ("false", True, True), ("false", False, False)],
)
def test_null(null: str, present: bool, expected: bool) -> None:
    context: dict[str, ContextValue] = {"aws:TokenIssueTime": "t"} if present else {}
    request = s3("k", **context)
    assert is_allowed(cond({"Null": {"aws:TokenIssueTime": null}}), request) is expected


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {"k": "v"}}, {"k": "v"}, True),
        ({"StringEquals": {"k": "v"}}, {"k": "V"}, False),
        ({"StringEquals": {"k": "v"}}, {"K": "v"}, True),  # key names are case-insensitive
        ({"StringEquals": {"k": "v"}}, {}, False),
        ({"StringEquals": {"k": "v*"}}, {"k": "vx"}, False),  # no wildcards in Equals
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),  # values are OR
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"}, False),
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "c"}, True),
        ({"StringNotEquals": {"k": "a"}}, {}, True),  # negation of an absent key holds
        ({"StringLike": {"k": "a/*"}}, {"k": "a/b/c"}, True),
        ({"StringLike": {"k": "a?"}}, {"k": "a"}, False),
        ({"StringLike": {"k": "a/*"}}, {}, False),
        ({"StringNotLike": {"k": "a/*"}}, {"k": "b/c"}, True),
        ({"StringNotLike": {"k": "a/*"}}, {"k": "a/c"}, False),
        ({"StringNotLike": {"k": "a/*"}}, {}, True),
        ({"ArnLike": {SOURCE: "arn:aws:s3:::b"}}, {SOURCE: "arn:aws:s3:::b"}, True),
        ({"ArnLike": {SOURCE: "arn:aws:s3:::b"}}, {SOURCE: "arn:aws:s3:::bb"}, False),
        ({"ArnLike": {SOURCE: "arn:aws:s3:::b*"}}, {SOURCE: "arn:aws:s3:::bb"}, True),
        ({"ArnEquals": {SOURCE: "arn:aws:s3:::b*"}}, {SOURCE: "arn:aws:s3:::bb"}, True),
        ({"ArnLike": {SOURCE: "arn:aws:s3:::b"}}, {SOURCE: "b"}, False),
        ({"ArnLike": {SOURCE: "arn:aws:s3:::b"}}, {}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": False}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "False"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {}, False),
        # Several keys, and several operators, must all hold.
        ({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "2"}, True),
        ({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}, False),
        ({"StringEquals": {"a": "1"}, "StringLike": {"b": "x*"}}, {"a": "1", "b": "xy"}, True),
        ({"StringEquals": {"a": "1"}, "StringLike": {"b": "x*"}}, {"a": "1", "b": "y"}, False),
    ],
)
def test_condition_operators(
    condition: dict[str, Any], context: dict[str, ContextValue], expected: bool
) -> None:
    assert is_allowed(cond(condition), s3("k", **context)) is expected


# --- policy variables ------------------------------------------------------------------------


def test_variable_in_resource() -> None:
    doc = [policy(allow(f"arn:aws:s3:::b/${{{SUB}}}/*"))]
    assert is_allowed(doc, s3("us-east-1:a/x", **{SUB: "us-east-1:a"}))
    assert not is_allowed(doc, s3("us-east-1:b/x", **{SUB: "us-east-1:a"}))


def test_variable_value_is_literal_not_a_wildcard() -> None:
    doc = [policy(allow(f"arn:aws:s3:::b/${{{SUB}}}/*"))]
    assert not is_allowed(doc, s3("anyone/x", **{SUB: "*"}))
    assert is_allowed(doc, s3("*/x", **{SUB: "*"}))


def test_escaped_wildcard_variables_are_literal() -> None:
    doc = [policy(allow("arn:aws:s3:::b/${*}${?}${$}"))]
    assert is_allowed(doc, s3("*?$"))
    assert not is_allowed(doc, s3("ab$"))


def test_variable_in_condition_values() -> None:
    condition = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [f"${{{SUB}}}"]}}
    assert is_allowed(cond(condition), s3("k", **{SUB: "me", "dynamodb:LeadingKeys": ["me"]}))
    assert not is_allowed(cond(condition), s3("k", **{SUB: "me", "dynamodb:LeadingKeys": ["x"]}))
    like = {"StringLike": {"s3:prefix": [f"${{{SUB}}}/*"]}}
    assert is_allowed(cond(like), s3("k", **{SUB: "me", "s3:prefix": "me/a"}))
    assert not is_allowed(cond(like), s3("k", **{SUB: "m*", "s3:prefix": "me/a"}))


def test_missing_variable_makes_the_statement_not_apply() -> None:
    own = allow(f"arn:aws:s3:::b/${{{SUB}}}/*")
    assert not is_allowed([policy(own)], s3("x/y"))
    deny = {"Effect": "Deny", "Action": "*", "Resource": f"arn:aws:s3:::b/${{{SUB}}}/*"}
    assert is_allowed([policy(allow(), deny)], s3("x/y"))  # the Deny does not apply either
    guarded = allow(Condition={"StringNotEquals": {"k": f"${{{SUB}}}"}})
    assert not is_allowed([policy(guarded)], s3("x/y", k="v"))


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEqualsIfExists": {"k": "v"}},
        {"NumericLessThan": {"k": "1"}},
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"stringequals": {"k": "v"}},
        {"ForSomeValues:StringEquals": {"k": "v"}},
        {"ForAllValues:Null": {"k": "true"}},
        {"Null": {"k": "maybe"}},
    ],
)
def test_unknown_or_malformed_operator_raises(condition: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        is_allowed(cond(condition), s3("k", k="v"))


def test_unknown_operator_raises_even_if_another_statement_denies_first() -> None:
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    with pytest.raises(PolicyError):
        is_allowed([policy(deny, allow(Condition={"Bogus": {"k": "v"}}))], s3("k"))


def test_multivalued_key_with_single_valued_operator_raises() -> None:
    with pytest.raises(PolicyError, match="ForAllValues"):
        is_allowed(cond({"StringEquals": {"k": "v"}}), s3("k", k=["v"]))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"Statement": [allow()]}, "Version"),
        ({"Version": "2008-10-17", "Statement": [allow()]}, "Version"),
        (policy({**allow(), "NotPrincipal": {"AWS": "*"}}), "unsupported"),
        (policy({**allow(), "Effect": "allow"}), "Effect"),
        (policy({"Effect": "Allow", "Resource": "*"}), "Action"),
        (policy({"Effect": "Allow", "Action": "*"}), "Resource"),
        (policy(allow(Principal={"CanonicalUser": "x"})), "principal"),
        (policy(allow("arn:aws:s3:::b/${tf:aws_s3_bucket.b.arn}")), "resolve_refs"),
        (policy(allow("arn:aws:s3:::b/${aws:username, 'x'}")), "default"),
        (policy(allow("arn:aws:s3:::b/${oops")), "unterminated"),
    ],
)
def test_malformed_documents_raise(document: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        is_allowed([document], s3("k"))


def test_single_statement_mapping_is_accepted() -> None:
    assert is_allowed([{"Version": "2012-10-17", "Statement": allow()}], s3("k"))


# --- properties ------------------------------------------------------------------------------

KEY_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="*?$"), max_size=30)
ANY_TEXT = st.text(max_size=30)


@given(KEY_TEXT, ANY_TEXT)
def test_literal_pattern_matches_only_itself(pattern: str, key: str) -> None:
    doc = [policy(allow(f"arn:aws:s3:::b/{pattern}"))]
    assert is_allowed(doc, s3(key)) is (key == pattern)
    assert is_allowed(doc, s3(pattern))


@given(ANY_TEXT)
def test_star_matches_every_key(key: str) -> None:
    assert is_allowed([policy(allow("arn:aws:s3:::b/*"))], s3(key))
    assert is_allowed([policy(allow("*"))], s3(key))


@given(KEY_TEXT, ANY_TEXT)
def test_prefix_star_matches_exactly_the_keys_with_that_prefix(prefix: str, key: str) -> None:
    doc = [policy(allow(f"arn:aws:s3:::b/{prefix}*"))]
    assert is_allowed(doc, s3(key)) is key.startswith(prefix)
    assert is_allowed(doc, s3(prefix + key))


@given(st.integers(min_value=0, max_value=8), ANY_TEXT)
def test_question_marks_match_exactly_that_many_characters(count: int, key: str) -> None:
    doc = [policy(allow("arn:aws:s3:::b/" + "?" * count))]
    assert is_allowed(doc, s3(key)) is (len(key) == count)


@given(st.text(alphabet=string.ascii_letters, min_size=1, max_size=20), st.data())
def test_actions_match_in_any_case(name: str, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    cased = "".join(c.swapcase() if f else c for c, f in zip(name, flips, strict=True))
    assert is_allowed([policy(allow(action=f"svc:{name}"))], s3("k", f"SVC:{cased}"))
    assert is_allowed([policy(allow(action="svc:*"))], s3("k", f"svc:{cased}"))
    assert not is_allowed([policy(allow(action=f"svc:{name}x"))], s3("k", f"svc:{cased}"))


@given(st.lists(st.sampled_from(["me", "you", "them"]), max_size=4))
def test_guarded_for_all_values_is_a_nonempty_subset(keys: list[str]) -> None:
    request = s3("k", **{"dynamodb:LeadingKeys": keys})
    assert is_allowed(cond(GUARDED), request) is (bool(keys) and set(keys) <= {"me"})
    assert is_allowed(cond(FOR_ALL), request) is (set(keys) <= {"me"})
