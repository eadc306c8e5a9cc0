"""Operator commands: `python -m ml_service.cli generate --rows 5000 --seed 42 --out customers.csv`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ml_service.engine.generator import generate_customers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ml_service.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="write a synthetic customer dataset (CSV)")
    generate.add_argument("--rows", type=int, default=5_000, help="how many customers")
    generate.add_argument("--seed", type=int, default=42, help="same seed, same data")
    generate.add_argument("--out", type=Path, required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    generate_customers(args.rows, args.seed).to_csv(args.out, index=False)
    print(f"wrote {args.rows} customers to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
