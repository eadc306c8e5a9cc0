"""Operator commands.

- `python -m ml_service.cli generate --rows 5000 --seed 42 --out customers.csv`
- `python -m ml_service.cli rotate-webhook-secrets`: re-encrypt every webhook secret with
  the first WEBHOOK_SECRET_KEYS key (then the old keys can be removed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from ml_service.engine.generator import generate_customers


async def _rotate_webhook_secrets() -> int:
    from segshared.db import make_engine, make_sessionmaker

    from ml_service.settings import MlSettings
    from ml_service.webhooks.crypto import SecretBox
    from ml_service.webhooks.service import rotate_secrets

    settings = MlSettings()
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            return await rotate_secrets(session, SecretBox(settings.webhook_secret_keys))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ml_service.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="write a synthetic customer dataset (CSV)")
    generate.add_argument("--rows", type=int, default=5_000, help="how many customers")
    generate.add_argument("--seed", type=int, default=42, help="same seed, same data")
    generate.add_argument("--out", type=Path, required=True, help="CSV file to write")
    commands.add_parser(
        "rotate-webhook-secrets", help="re-encrypt webhook secrets with the first key"
    )
    args = parser.parse_args(argv)
    if args.command == "rotate-webhook-secrets":
        print(f"re-encrypted {asyncio.run(_rotate_webhook_secrets())} webhook secrets")
        return 0
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    generate_customers(args.rows, args.seed).to_csv(args.out, index=False)
    print(f"wrote {args.rows} customers to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
