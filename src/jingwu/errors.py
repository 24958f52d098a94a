"""The one error vocabulary. Services raise these; the API, pages and CLI translate them once.

Each error carries a translatable message and, where it concerns one input, the field (``loc``)
so the edge can put the message next to the field.
"""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """Base of every error a use case may raise on purpose."""

    status = 400
    type = "domain_error"

    def __init__(
        self,
        msg: str,
        *,
        loc: Sequence[str | int] = (),
        errors: list[dict[str, object]] | None = None,
    ) -> None:
        super().__init__(str(msg))
        self.msg = msg
        self.loc = list(loc)
        self.errors = errors

    def detail(self) -> list[dict[str, object]]:
        """The body of the API error: one entry per failing field."""
        if self.errors:
            return [{"type": self.type, **e} for e in self.errors]
        return [{"type": self.type, "msg": str(self.msg), "loc": self.loc}]


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it exists."""

    status = 404
    type = "not_found"


class Forbidden(DomainError):
    """The caller is known and may see the thing, but may not do this to it."""

    status = 403
    type = "forbidden"


class Conflict(DomainError):
    """The request collides with the current state (double booking, unit already on a call)."""

    status = 409
    type = "conflict"


class InvalidTransition(Conflict):
    """A status change that the lifecycle does not allow from the current status."""

    type = "invalid_transition"


class Invalid(DomainError):
    """The input is malformed or out of range; nothing was written."""

    status = 422
    type = "invalid"
