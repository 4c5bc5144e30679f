# Two commands from a fresh clone: `make run` (embedded, no servers) and `make test`
# (real servers on loopback, the whole suite). See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Under `make test` a test that needs a real server fails when the server is missing.
export SPOTLIGHT_REQUIRE_SERVICES ?= 1

# Ports of the real servers (scripts/services reads the same variables).
export SPOTLIGHT_POSTGRES_PORT ?= 55432
export SPOTLIGHT_REDIS_PORT ?= 56379
export SPOTLIGHT_KAFKA_PORT ?= 59092
export SPOTLIGHT_KAFKA_CONTROLLER_PORT ?= 59093
export SPOTLIGHT_FERRETDB_PORT ?= 57017
export SPOTLIGHT_S3_PORT ?= 55000
export SPOTLIGHT_TEST_POSTGRES_URL ?= postgresql://spotlight:spotlight@127.0.0.1:$(SPOTLIGHT_POSTGRES_PORT)/spotlight
export SPOTLIGHT_TEST_REDIS_URL ?= redis://127.0.0.1:$(SPOTLIGHT_REDIS_PORT)/0
export SPOTLIGHT_TEST_KAFKA_BOOTSTRAP ?= 127.0.0.1:$(SPOTLIGHT_KAFKA_PORT)
export SPOTLIGHT_TEST_MONGO_URL ?= mongodb://127.0.0.1:$(SPOTLIGHT_FERRETDB_PORT)/
export SPOTLIGHT_TEST_S3_ENDPOINT ?= http://127.0.0.1:$(SPOTLIGHT_S3_PORT)

.PHONY: install run test test-unit lint format bench services-up services-down services-status browser clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The dashboard's browser libraries, pinned in adapters/http/dashboard/vendor.lock.json,
# into var/vendor (quick when already there; a failed download only warns).
install: $(STAMP)
	@$(BIN)/python scripts/vendor-assets

run: install
	$(BIN)/spotlight serve

services-up: $(STAMP)
	scripts/services up

# Also the fault suite's private servers (tests/faults), should a run have left them.
services-down:
	scripts/services down
	@if [ -d .services/faults/run ]; then SPOTLIGHT_SERVICES_DIR=.services/faults scripts/services down; fi

services-status:
	scripts/services status

# Debian's Chromium, which the dashboard's browser test drives.
browser:
	scripts/browser

test: install services-up browser
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

# The tests that need no server at all.
test-unit: $(STAMP)
	SPOTLIGHT_REQUIRE_SERVICES=0 $(BIN)/python -m pytest -p no:cacheprovider tests/unit $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) services-up
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
