"""Values and types the auth-service tests share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from segshared.testing import Account

PASSWORD = "Passw0rd-123"

# The `register` / `make_admin` fixtures: a registered, logged-in account.
Register = Callable[..., Awaitable[Account]]
