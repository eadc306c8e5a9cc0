"""Values and helpers the profile-service tests share."""

from __future__ import annotations

from segshared.testing import TokenSigner

SERVICE_TOKEN = "profile-test-token"

CUSTOMER = {
    "sex": "Female",
    "age": 31,
    "annual_income": 72.5,
    "spending_score": 81,
    "purchase_frequency": 24,
}


def auth(signer: TokenSigner, user_id: int) -> dict[str, str]:
    """Bearer headers for `user_id`."""
    return {"Authorization": f"Bearer {signer.token(user_id)}"}
