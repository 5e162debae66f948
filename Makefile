# Two commands on a fresh Debian machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/hosting
PYTEST_ARGS ?=

.PHONY: run demo test test-install test-sqlite test-postgres bench system services deps lint migrations-check cluster cluster-down cluster-status

$(VENV)/.deps: requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

deps: $(VENV)/.deps

system:
	@scripts/install_system.sh

# PostgreSQL and Redis for the suite, started when nothing answers.
services: system
	@scripts/services.sh

migrations-check: deps
	$(PY) manage.py makemigrations --check --dry-run --settings=tests.settings

run: system deps
	@scripts/run.sh

# With `make run` running: push and deploy the demo app, print its URL on the router.
demo: deps
	@scripts/demo_deploy.sh

# The whole suite on embedded SQLite, then again on PostgreSQL (started by `services`).
test: system deps services migrations-check test-sqlite test-postgres

test-sqlite:
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-postgres:
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q $(PYTEST_ARGS)

# The platform installed as operators do: the compose stack, then the kustomize overlay
# on the machine's cluster (tests/packaging/test_compose.py, test_incluster.py).
test-install: system deps cluster
	$(PY) -m pytest -q -m compose tests/packaging/test_compose.py $(PYTEST_ARGS)
	$(PY) -m pytest -q -m incluster tests/packaging/test_incluster.py $(PYTEST_ARGS)

bench: system deps services
	$(PY) -m bench

lint: deps
	$(VENV)/bin/ruff check hosting console tests

# The machine's single-node Kubernetes cluster (scripts/cluster/): built from
# Kubernetes' Go modules on first use (~5 min), then started in a few seconds.
cluster: system
	@scripts/cluster/up.sh
	@scripts/cluster/env.sh

cluster-down:
	@scripts/cluster/down.sh

cluster-status:
	@scripts/cluster/status.sh
