"""Values and types the end-to-end tests share."""

from __future__ import annotations

import os
from collections.abc import Callable

from segshared.testing import Account, database_url_for_tests

TEST_DATABASE_URL = os.environ.get("E2E_DATABASE_URL", database_url_for_tests("e2e"))

# The `make_user` fixture: `make_user(role="user")` registers and logs in a new account.
UserFactory = Callable[..., Account]
