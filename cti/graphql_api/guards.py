"""Guards of the GraphQL endpoint that hold in production: a size limit checked before the
parser runs, and internal errors that reach clients only as an error id."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from cti.graphql_api.errors import DocumentTooLarge

log = logging.getLogger(__name__)


class MaxDocumentLength(SchemaExtension):
    """Refuse a document longer than `max_chars` before it is parsed: parsing costs time and
    memory in proportion to the length, and the token limit only counts while parsing."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars

    def on_operation(self) -> Iterator[None]:
        length = len(self.execution_context.query or "")
        if length > self.max_chars:
            raise DocumentTooLarge(
                f"GraphQL document of {length} characters; at most {self.max_chars} are accepted"
            )
        yield


def _is_internal(error: GraphQLError) -> bool:
    """An exception our code did not mean for the client (a bug, Redis or SQL trouble): its
    text may hold addresses, SQL or credentials. Our own refusals are `GraphQLError`s, and
    graphql-core's syntax and validation errors carry no original error at all."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


class MaskInternalErrors(MaskErrors):
    """Replace an internal error by a generic message with an error id; the log has the id
    with the exception, so a support desk can find it from what the user reports."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_internal)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        error_id = uuid.uuid4().hex[:16]
        log.error(
            "GraphQL internal error %s at %s", error_id, error.path, exc_info=error.original_error
        )
        return GraphQLError(
            f"internal error (error id {error_id})",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
        )
