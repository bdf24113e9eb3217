"""Properties of the OT core over random documents and random concurrent operations."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from ot import OTError, TextOperation, compose, transform, transform_against

# Code points, including astral ones that UTF-16 would split in two.
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def document_and_operation(
    draw: st.DrawFn, document: str | None = None
) -> tuple[str, TextOperation]:
    doc = draw(text) if document is None else document
    operation = TextOperation()
    position = 0
    while position < len(doc) or draw(st.booleans()):
        choice = draw(st.sampled_from(["retain", "insert", "delete"]))
        remaining = len(doc) - position
        if choice == "insert":
            operation.insert(draw(text))
            if remaining == 0:
                break
        elif remaining == 0:
            break
        else:
            n = draw(st.integers(1, remaining))
            (operation.retain if choice == "retain" else operation.delete)(n)
            position += n
    operation.retain(len(doc) - position)
    return doc, operation


@st.composite
def concurrent(draw: st.DrawFn) -> tuple[str, TextOperation, TextOperation]:
    doc, a = draw(document_and_operation())
    _, b = draw(document_and_operation(document=doc))
    return doc, a, b


def canonical(operation: TextOperation) -> bool:
    kinds = ["i" if isinstance(c, str) else "r" if c > 0 else "d" for c in operation.ops]
    no_empty = all(c != 0 and c != "" for c in operation.ops)
    no_repeats = all(x != y for x, y in itertools.pairwise(kinds))
    inserts_first = all(not (x == "d" and y == "i") for x, y in itertools.pairwise(kinds))
    return no_empty and no_repeats and inserts_first


@settings(max_examples=400, deadline=None)
@given(concurrent())
def test_tp1_both_orders_converge(case: tuple[str, TextOperation, TextOperation]) -> None:
    doc, a, b = case
    a_prime, b_prime = transform(a, b)
    assert b_prime.apply(a.apply(doc)) == a_prime.apply(b.apply(doc))
    assert canonical(a_prime) and canonical(b_prime)


@settings(max_examples=300, deadline=None)
@given(document_and_operation(), st.data())
def test_compose_is_sequential_application(
    case: tuple[str, TextOperation], data: st.DataObject
) -> None:
    doc, a = case
    _, b = data.draw(document_and_operation(document=a.apply(doc)))
    composed = compose(a, b)
    assert composed.apply(doc) == b.apply(a.apply(doc))
    assert canonical(composed)


@settings(max_examples=300, deadline=None)
@given(document_and_operation())
def test_invert_undoes(case: tuple[str, TextOperation]) -> None:
    doc, a = case
    after = a.apply(doc)
    assert len(after) == a.target_length
    assert a.invert(doc).apply(after) == doc
    assert compose(a, a.invert(doc)).apply(doc) == doc


@settings(max_examples=300, deadline=None)
@given(document_and_operation())
def test_wire_form_round_trips(case: tuple[str, TextOperation]) -> None:
    _, a = case
    again = TextOperation.from_json(a.to_json())
    assert again == a and canonical(a)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_rebasing_over_a_history_converges(data: st.DataObject) -> None:
    """The server's loop: an op made at revision r, rebased over everything since r."""
    doc = data.draw(text)
    history = []
    current = doc
    for _ in range(data.draw(st.integers(0, 4))):
        _, op = data.draw(document_and_operation(document=current))
        history.append(op)
        current = op.apply(current)
    _, late = data.draw(document_and_operation(document=doc))
    rebased = transform_against(late, history)
    # the same result as applying the late op first and the history transformed over it
    other = late.apply(doc)
    for op in history:
        op, late = transform(op, late)[0], transform(op, late)[1]
        other = op.apply(other)
    assert rebased.apply(current) == other


def test_ties_put_the_first_operations_insert_first() -> None:
    a = TextOperation().retain(1).insert("A").retain(1)
    b = TextOperation().retain(1).insert("B").retain(1)
    a_prime, b_prime = transform(a, b)
    assert b_prime.apply(a.apply("xy")) == "xABy" == a_prime.apply(b.apply("xy"))


@pytest.mark.parametrize(
    "wire", [None, "abc", [0], [True], [1.5], [{"x": 1}], [[1]], list(range(1, 10_002))]
)
def test_malformed_wire_operations_are_refused(wire: object) -> None:
    with pytest.raises(OTError):
        TextOperation.from_json(wire)


def test_operations_must_fit_their_document() -> None:
    with pytest.raises(OTError):
        TextOperation().retain(3).apply("ab")
    with pytest.raises(OTError):
        compose(TextOperation().retain(2), TextOperation().retain(3))
    with pytest.raises(OTError):
        transform(TextOperation().retain(2), TextOperation().retain(3))


def test_code_points_not_utf16_units() -> None:
    emoji = "a\U0001f600b"
    assert TextOperation().retain(2).delete(1).apply(emoji) == "a\U0001f600"
