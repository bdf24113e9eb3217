"""Operational transformation for plain text: the core the collaboration server and its
clients share. No AWS, no I/O.

An operation walks the whole document once, left to right, as a list of components over
Unicode code points:  n > 0 retains n characters, a string inserts it, n < 0 deletes -n.
Components are kept canonical (no empty ones, neighbours of one kind merged, an insert
always before an adjacent delete), so equal edits have equal operations.

transform(a, b) -> (a', b') with apply(apply(d, a), b') == apply(apply(d, b), a') (TP1).
When both insert at the same place, a's text goes first: the server passes the operation it
committed earlier as a, which makes the tie-break deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Component = int | str


class OTError(ValueError):
    """An operation that does not fit its document (wrong length, malformed component)."""


@dataclass
class TextOperation:
    ops: list[Component] = field(default_factory=list)
    base_length: int = 0
    target_length: int = 0

    # --- building -------------------------------------------------------------------------

    def retain(self, n: int) -> TextOperation:
        if n < 0:
            raise OTError("retain needs a non-negative count")
        if n:
            self.base_length += n
            self.target_length += n
            last = self.ops[-1] if self.ops else None
            if isinstance(last, int) and last > 0:
                self.ops[-1] = last + n
            else:
                self.ops.append(n)
        return self

    def insert(self, text: str) -> TextOperation:
        if text:
            self.target_length += len(text)
            ops = self.ops
            if ops and isinstance(ops[-1], str):
                ops[-1] += text
            elif ops and isinstance(ops[-1], int) and ops[-1] < 0:
                # keep inserts before deletes: "delete then insert" equals "insert then delete"
                if len(ops) > 1 and isinstance(ops[-2], str):
                    ops[-2] += text
                else:
                    ops.insert(len(ops) - 1, text)
            else:
                ops.append(text)
        return self

    def delete(self, n: int) -> TextOperation:
        if n < 0:
            raise OTError("delete needs a non-negative count")
        if n:
            self.base_length += n
            last = self.ops[-1] if self.ops else None
            if isinstance(last, int) and last < 0:
                self.ops[-1] = last - n
            else:
                self.ops.append(-n)
        return self

    @classmethod
    def from_json(cls, components: object, max_components: int = 10_000) -> TextOperation:
        """Build from the wire form (a list of ints and strings), validating every part."""
        if not isinstance(components, list) or len(components) > max_components:
            raise OTError("an operation is a list of components")
        operation = cls()
        for component in components:
            if isinstance(component, bool) or not isinstance(component, int | str):
                raise OTError("components are integers or strings")
            if isinstance(component, str):
                operation.insert(component)
            elif component > 0:
                operation.retain(component)
            elif component < 0:
                operation.delete(-component)
            else:
                raise OTError("zero-length component")
        return operation

    def to_json(self) -> list[Component]:
        return list(self.ops)

    def is_noop(self) -> bool:
        return all(isinstance(c, int) and c > 0 for c in self.ops)

    # --- using ----------------------------------------------------------------------------

    def apply(self, document: str) -> str:
        if len(document) != self.base_length:
            raise OTError(
                f"operation expects {self.base_length} characters, document has {len(document)}"
            )
        parts: list[str] = []
        position = 0
        for component in self.ops:
            if isinstance(component, str):
                parts.append(component)
            elif component > 0:
                parts.append(document[position : position + component])
                position += component
            else:
                position -= component
        return "".join(parts)

    def invert(self, document: str) -> TextOperation:
        """The operation that undoes this one on the document it was applied to."""
        inverse = TextOperation()
        position = 0
        for component in self.ops:
            if isinstance(component, str):
                inverse.delete(len(component))
            elif component > 0:
                inverse.retain(component)
                position += component
            else:
                inverse.insert(document[position : position - component])
                position -= component
        return inverse


def compose(a: TextOperation, b: TextOperation) -> TextOperation:
    """One operation with the effect of a then b."""
    if a.target_length != b.base_length:
        raise OTError("compose: the second operation does not start where the first ends")
    result = TextOperation()
    first, second = _Cursor(a.ops), _Cursor(b.ops)
    while not (first.done and second.done):
        if first.kind == "delete":
            result.delete(first.take_all())
        elif second.kind == "insert":
            result.insert(second.take_text())
        elif first.done or second.done:
            raise OTError("compose: operations of different lengths")
        elif first.kind == "retain" and second.kind == "retain":
            result.retain(_take_min(first, second))
        elif first.kind == "insert" and second.kind == "delete":
            _take_min(first, second)  # inserted, then deleted: nothing remains
        elif first.kind == "insert" and second.kind == "retain":
            n = min(first.length, second.length)
            result.insert(first.take_text(n))
            second.take(n)
        else:  # retain then delete
            result.delete(_take_min(first, second))
    return result


def transform(a: TextOperation, b: TextOperation) -> tuple[TextOperation, TextOperation]:
    """(a', b') such that b' applies after a and a' after b, reaching the same text."""
    if a.base_length != b.base_length:
        raise OTError("transform: operations on different documents")
    a_prime, b_prime = TextOperation(), TextOperation()
    first, second = _Cursor(a.ops), _Cursor(b.ops)
    while not (first.done and second.done):
        if first.kind == "insert":  # a's insert wins ties: it goes first
            text = first.take_text()
            a_prime.insert(text)
            b_prime.retain(len(text))
        elif second.kind == "insert":
            text = second.take_text()
            a_prime.retain(len(text))
            b_prime.insert(text)
        elif first.done or second.done:
            raise OTError("transform: operations of different lengths")
        elif first.kind == "retain" and second.kind == "retain":
            n = _take_min(first, second)
            a_prime.retain(n)
            b_prime.retain(n)
        elif first.kind == "delete" and second.kind == "delete":
            _take_min(first, second)  # both deleted it
        elif first.kind == "delete":  # a deletes what b retains
            a_prime.delete(_take_min(first, second))
        else:  # a retains what b deletes
            b_prime.delete(_take_min(first, second))
    return a_prime, b_prime


def transform_against(
    operation: TextOperation, committed: Iterable[TextOperation]
) -> TextOperation:
    """Rebase an operation over operations committed since its base revision, in order."""
    for earlier in committed:
        _, operation = transform(earlier, operation)
    return operation


class _Cursor:
    """Walks an operation's components, splitting them as the other operation requires."""

    def __init__(self, ops: list[Component]) -> None:
        self.ops = ops
        self.index = 0
        self.used = 0  # how much of the current component is consumed

    @property
    def done(self) -> bool:
        return self.index >= len(self.ops)

    @property
    def kind(self) -> str:
        if self.done:
            return "end"
        component = self.ops[self.index]
        if isinstance(component, str):
            return "insert"
        return "retain" if component > 0 else "delete"

    @property
    def length(self) -> int:
        component = self.ops[self.index]
        size = len(component) if isinstance(component, str) else abs(component)
        return size - self.used

    def take(self, n: int) -> None:
        self.used += n
        if self.used == (len(c) if isinstance(c := self.ops[self.index], str) else abs(c)):
            self.index += 1
            self.used = 0

    def take_all(self) -> int:
        n = self.length
        self.take(n)
        return n

    def take_text(self, n: int | None = None) -> str:
        component = self.ops[self.index]
        assert isinstance(component, str)
        n = self.length if n is None else n
        text = component[self.used : self.used + n]
        self.take(n)
        return text


def _take_min(first: _Cursor, second: _Cursor) -> int:
    n = min(first.length, second.length)
    first.take(n)
    second.take(n)
    return n
