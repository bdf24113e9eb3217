"""The reference client's state machine (ZineOS apps mirror it in JavaScript).

At most one operation is in flight: later local edits are composed into a buffer until the
server acknowledges it. Remote operations were committed before our in-flight one, so they
are transformed with the server's tie-break (committed first), which keeps clients and
server byte-for-byte equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from ot import TextOperation, compose, transform


@dataclass
class CollabClient:
    document: str
    revision: int
    pending: TextOperation | None = None  # sent, not yet acknowledged
    buffer: TextOperation | None = None  # local edits made while waiting

    def local_edit(self, operation: TextOperation) -> TextOperation | None:
        """Apply an edit locally; returns the operation to send now, if any."""
        self.document = operation.apply(self.document)
        if self.pending is None:
            self.pending = operation
            return operation
        self.buffer = operation if self.buffer is None else compose(self.buffer, operation)
        return None

    def acknowledged(self) -> TextOperation | None:
        """The server committed our pending operation; returns the next one to send."""
        self.revision += 1
        self.pending, self.buffer = self.buffer, None
        return self.pending

    def remote(self, operation: TextOperation) -> None:
        """Another client's committed operation, in server order."""
        self.revision += 1
        if self.pending is not None:
            operation, self.pending = transform(operation, self.pending)
            if self.buffer is not None:
                operation, self.buffer = transform(operation, self.buffer)
        self.document = operation.apply(self.document)
