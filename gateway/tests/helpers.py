"""Values the gateway tests share."""

from __future__ import annotations

from segshared.testing import redis_url_for_tests

REDIS_URL = redis_url_for_tests(4)

# API keys the stub auth-service knows (conftest.KEYS: their id, quota, scopes, IPs).
VALID_KEY = "seg_test_valid-key"
QUOTA_KEY = "seg_test_quota-key"
BURST_KEY = "seg_test_burst-key"
OFFICE_KEY = "seg_test_office-key"

# The console build the `console_dist` fixture lays out.
INDEX_HTML = (
    b'<!doctype html><html><script type="module" src="/ui/assets/app-1a2b3c.js"></script></html>'
)
APP_JS = b"console.log('console');\n" * 200
