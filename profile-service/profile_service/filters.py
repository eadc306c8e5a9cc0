"""The `/history` filters, parsed once and shared by the list and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, NamedTuple

from fastapi import Query
from segshared.errors import validation_error


def _parse_bound(value: str | None, name: str, end: bool) -> datetime | None:
    """`YYYY-MM-DD` (a whole day, inclusive) or a full ISO datetime (UTC if naive)."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            bound = datetime.combine(day + timedelta(days=1) if end else day, time(), UTC)
            return bound
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise validation_error(
            ["query", name], "Expected YYYY-MM-DD or an ISO 8601 datetime"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class FilterShape(NamedTuple):
    """Which filters a HistoryFilter sets: the SQL differs only by this, the values are
    bound parameters, so each shape's statement is built once."""

    cluster: bool
    created_from: bool
    created_before: bool
    before_inclusive: bool
    min_confidence: bool


@dataclass(frozen=True)
class HistoryFilter:
    """Which of the caller's history rows to show."""

    cluster: int | None
    created_from: datetime | None  # inclusive
    created_before: datetime | None  # exclusive for whole days, inclusive for datetimes
    before_inclusive: bool
    min_confidence: float | None

    @property
    def shape(self) -> FilterShape:
        return FilterShape(
            self.cluster is not None,
            self.created_from is not None,
            self.created_before is not None,
            self.before_inclusive,
            self.min_confidence is not None,
        )

    def params(self) -> dict[str, Any]:
        """The bound values of the filters that are set (named as in FilterShape)."""
        values = {
            "cluster": self.cluster,
            "created_from": self.created_from,
            "created_before": self.created_before,
            "min_confidence": self.min_confidence,
        }
        return {name: value for name, value in values.items() if value is not None}


async def history_filter(
    cluster: Annotated[int | None, Query(ge=0, le=100)] = None,
    date_from: Annotated[str | None, Query(max_length=40)] = None,
    date_to: Annotated[str | None, Query(max_length=40)] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=100)] = None,
) -> HistoryFilter:
    """FastAPI dependency building a `HistoryFilter` from the query string."""
    start = _parse_bound(date_from, "date_from", end=False)
    end = _parse_bound(date_to, "date_to", end=True)
    return HistoryFilter(
        cluster=cluster,
        created_from=start,
        created_before=end,
        before_inclusive=date_to is not None and len(date_to) != 10,
        min_confidence=min_confidence,
    )
