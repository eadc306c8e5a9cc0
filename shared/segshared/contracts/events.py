"""Names of the Redis streams and channels the services exchange events on.

Event fields are flat strings (Redis stream entries); JSON-valued fields say so.
- HISTORY_STREAM (ml → profile): event_id, user_id, profile_id ("" if none),
  customer_data (JSON), cluster ("" for a batch), cluster_name, confidence,
  model_version, created_at (ISO 8601 UTC).
- USER_EVENTS_STREAM (auth outbox relay → profile, ml): event_id, type
  ("user.deleted"), user_id, occurred_at.
- MODEL_PUBLISHED_CHANNEL (pub/sub, ml → ml replicas): the new version string.
"""

HISTORY_STREAM = "stream:prediction-history"
USER_EVENTS_STREAM = "stream:user-events"
USER_DELETED = "user.deleted"
MODEL_PUBLISHED_CHANNEL = "model.published"
