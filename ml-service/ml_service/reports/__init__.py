"""The segment report (`/reports/segments.xlsx|pdf`): one model's facts, as Excel or PDF."""
