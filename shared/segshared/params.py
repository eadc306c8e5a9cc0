"""Generic route parameters of every service: the request's session, row ids, paging,
storable text.

Values PostgreSQL can't take (an id beyond its column's range, a NUL character, a lone
surrogate) are refused here with a 422 instead of failing in the driver with a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from pydantic import AfterValidator
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from segshared.db import read_connection_dependency, session_dependency

INT4_MAX = 2**31 - 1  # `integer` columns (most ids, counts)
INT8_MAX = 2**63 - 1  # `bigint` columns


def storable_text(value: str) -> str:
    """Refuse text PostgreSQL can't store: NUL characters and invalid Unicode."""
    if "\x00" in value:
        raise ValueError("Text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("Text must be valid Unicode") from exc
    return value


# Any text that is stored, hashed or compared in a query.
Text = Annotated[str, AfterValidator(storable_text)]
# Path ids of `integer` and `bigint` primary keys; anything outside answers 422.
RowId = Annotated[int, Path(ge=1, le=INT4_MAX)]
BigRowId = Annotated[int, Path(ge=1, le=INT8_MAX)]
# List paging: OFFSET takes a bigint, and no page is deeper than an `integer` id range.
Skip = Annotated[int, Query(ge=0, le=INT4_MAX)]
Limit = Annotated[int, Query(ge=1, le=100)]
# The one transaction per request, committed before the response is sent.
SessionDep = Annotated[AsyncSession, Depends(session_dependency, scope="function")]
# An autocommit connection for an endpoint that reads in a single statement.
ReadConnectionDep = Annotated[
    AsyncConnection, Depends(read_connection_dependency, scope="function")
]
