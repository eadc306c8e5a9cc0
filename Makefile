.PHONY: up test test-faults lint fmt migrate bench install fuzz

install:  ## install the locked dependencies
	scripts/install.sh

up:  ## run the whole stack locally (gateway on :8000)
	scripts/up.sh

test:  ## lint + every test suite + compose validation
	scripts/test.sh

fuzz:  ## schemathesis against a fresh e2e stack (also part of make test)
	uv run --frozen pytest tests-e2e -m fuzz

test-faults:  ## fault injection: kill/restart services, PostgreSQL, Redis under load
	scripts/install.sh && uv run --frozen pytest tests-e2e/faults

lint:
	uv run ruff check . && uv run ruff format --check . && uv run mypy shared/segshared

fmt:
	uv run ruff check --fix . && uv run ruff format .

migrate:
	scripts/install.sh && scripts/ensure-infra.sh && uv run --frozen python scripts/stack.py migrate

bench:
	scripts/bench.sh
