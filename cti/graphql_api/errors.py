"""GraphQL errors with a stable `extensions.code`, so clients can tell the cases apart."""

from __future__ import annotations

from graphql import GraphQLError


class ApiError(GraphQLError):
    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": self.code})


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    code = "FORBIDDEN"


class NotFound(ApiError):
    code = "NOT_FOUND"


class BadInput(ApiError):
    code = "BAD_USER_INPUT"


class DocumentTooLarge(ApiError):
    code = "DOCUMENT_TOO_LARGE"


class Refused(ApiError):
    """The engine refused the command (ControlError); the message says why."""

    code = "REFUSED"

    def __init__(self, message: str, reason_code: str) -> None:
        GraphQLError.__init__(self, message, extensions={"code": self.code, "reason": reason_code})
