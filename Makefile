.PHONY: help up test test-faults fuzz lint audit fmt migrate bench install compose-test k8s-check client ui

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' Makefile | sed 's/:.*## /\t/'

install:  ## install the locked dependencies
	scripts/install.sh

up:  ## run the whole stack locally (gateway on :8000)
	scripts/up.sh

test:  ## lint + every suite (e2e, faults, fuzz, k8s, compose); one suite: make test SUITE=ml-service ARGS='-k batch'
ifdef SUITE
	scripts/install.sh && scripts/ensure-infra.sh && uv run --frozen pytest $(SUITE)/tests $(ARGS)
else
	scripts/test.sh
endif

test-faults:  ## fault injection: kill/restart services, PostgreSQL, Redis under load
	scripts/install.sh && uv run --frozen pytest tests-e2e/faults

fuzz:  ## schemathesis against a fresh e2e stack (also part of make test)
	scripts/install.sh && uv run --frozen pytest tests-e2e -m fuzz

compose-test:  ## build, start, exercise, restart and remove the compose stack (needs Docker)
	scripts/compose-test.sh

k8s-check:  ## render every Kubernetes overlay, validate it strictly, check the invariants
	scripts/install.sh && uv run --frozen python deploy/k8s/check.py

# The packages mypy checks (each on its own, as CI does): add a service once it is clean.
MYPY_PACKAGES := shared/segshared devstack/devstack gateway/gateway auth-service/auth_service profile-service/profile_service ml-service/ml_service

lint:  ## ruff check, ruff format --check, mypy on every mypy-clean package
	uv run --frozen ruff check . && uv run --frozen ruff format --check .
	for package in $(MYPY_PACKAGES); do uv run --frozen mypy $$package || exit 1; done

audit:  ## pip-audit on uv.lock and bandit -ll on the code (tools fetched and pinned by uv)
	scripts/audit.sh

fmt:  ## ruff fix + format
	uv run --frozen ruff check --fix . && uv run --frozen ruff format .

migrate:  ## database roles, then every service's migrations (as its role)
	scripts/install.sh && scripts/ensure-infra.sh && uv run --frozen python -m devstack migrate

bench:  ## performance scenarios (wrk, loopback only); QUICK=1: the ~30 s subset CI runs
	QUICK=$(QUICK) scripts/bench.sh

client:  ## refresh frontend/openapi.json from the gateway and regenerate frontend/src/client/
	scripts/client.sh

ui:  ## build the web console (frontend/dist)
	scripts/console.sh build
