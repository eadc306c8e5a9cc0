"""The history event's stream encoding, both ways."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from segshared.contracts.events import HistoryEvent


class TestHistoryEvent:
    def test_a_prediction_round_trips_through_its_fields(self) -> None:
        event = HistoryEvent.new(7, 3, '{"age": 30}', "v2", 1, "Loyal", 88.5)
        fields = event.to_fields()
        assert fields == {
            "event_id": event.event_id,
            "user_id": "7",
            "profile_id": "3",
            "customer_data": '{"age": 30}',
            "cluster": "1",
            "cluster_name": "Loyal",
            "confidence": "88.5",
            "model_version": "v2",
            "created_at": event.created_at.isoformat(),
        }
        assert HistoryEvent.from_fields(fields) == event

    def test_a_batch_summary_has_empty_fields_for_none(self) -> None:
        event = HistoryEvent.new(7, None, '{"batch_size": 2}', "v2")
        fields = event.to_fields()
        assert (fields["profile_id"], fields["cluster"], fields["cluster_name"]) == ("", "", "")
        assert fields["confidence"] == ""
        assert HistoryEvent.from_fields(fields) == event

    def test_a_naive_or_z_timestamp_is_utc(self) -> None:
        fields = HistoryEvent.new(1, None, "{}", "v1").to_fields()
        for stamp in ("2026-03-01T10:00:00", "2026-03-01T10:00:00Z"):
            event = HistoryEvent.from_fields({**fields, "created_at": stamp})
            assert event.created_at == datetime(2026, 3, 1, 10, tzinfo=UTC)

    @pytest.mark.parametrize(
        "change",
        [{"user_id": "x"}, {"customer_data": "[1]"}, {"customer_data": "{"}, {"created_at": ""}],
    )
    def test_malformed_fields_raise(self, change: dict[str, str]) -> None:
        fields = {**HistoryEvent.new(1, None, "{}", "v1").to_fields(), **change}
        with pytest.raises(ValueError):
            HistoryEvent.from_fields(fields)

    def test_a_missing_field_raises(self) -> None:
        fields = HistoryEvent.new(1, None, "{}", "v1").to_fields()
        del fields["event_id"]
        with pytest.raises(KeyError):
            HistoryEvent.from_fields(fields)
