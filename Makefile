.PHONY: up test lint fmt migrate bench install client ui

install:  ## install the locked dependencies
	scripts/install.sh

up:  ## run the whole stack locally (gateway on :8000)
	scripts/up.sh

test:  ## lint + every test suite + compose validation
	scripts/test.sh

lint:
	uv run ruff check . && uv run ruff format --check . && uv run mypy shared/segshared

fmt:
	uv run ruff check --fix . && uv run ruff format .

migrate:
	scripts/install.sh && scripts/ensure-infra.sh && uv run --frozen python scripts/stack.py migrate

bench:
	scripts/bench.sh

client:  ## refresh frontend/openapi.json from the gateway and regenerate frontend/src/client/
	scripts/client.sh

ui:  ## build the web console (frontend/dist)
	scripts/console.sh build
