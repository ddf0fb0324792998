# Harrier: the commands people and CI use. Everything installs into .venv from pinned versions.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HARRIER := $(VENV)/bin/harrier

.PHONY: install infra run stop test test-unit bench chaos soak down clean

UI_DIST := harrier/webserver/ui_dist

install: $(VENV)/.installed $(UI_DIST)/index.html

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test,bench]'
	touch $@

# The web UI (ui/) is built into the package, where the webserver serves it; only when ui/ changed.
ui/node_modules/.installed: ui/package-lock.json
	cd ui && npm ci
	touch $@

$(UI_DIST)/index.html: ui/node_modules/.installed ui/package.json ui/package-lock.json ui/index.html ui/vite.config.ts $(shell find ui/src ui/scripts -type f)
	cd ui && npm run build

infra: install
	$(HARRIER) infra up

# The main job: local stack, `harrier server standalone` in the background (log in var/),
# the examples deployed, one of them run with its logs and outputs printed.
run: infra
	@mkdir -p var
	@if [ -f var/standalone.pid ] && kill -0 $$(cat var/standalone.pid) 2>/dev/null; then \
	  echo "harrier standalone already running (pid $$(cat var/standalone.pid))"; \
	else \
	  nohup $(HARRIER) server standalone > var/standalone.log 2>&1 & echo $$! > var/standalone.pid; \
	  echo "harrier standalone started (pid $$(cat var/standalone.pid), log var/standalone.log)"; \
	fi
	@for i in $$(seq 1 120); do curl -fs http://127.0.0.1:8080/ready >/dev/null 2>&1 && break; sleep 1; done; \
	  curl -fs http://127.0.0.1:8080/ready >/dev/null || { echo "webserver not ready; see var/standalone.log"; tail -20 var/standalone.log; exit 1; }
	$(HARRIER) flow deploy examples --namespace examples
	$(HARRIER) execution run examples etl-http-jsonata --follow
	@echo "Harrier is running: UI http://127.0.0.1:8080/ , API docs http://127.0.0.1:8080/docs; stop it with 'make stop'."

stop:
	@if [ -f var/standalone.pid ]; then kill $$(cat var/standalone.pid) 2>/dev/null; rm -f var/standalone.pid; echo stopped; fi

# The UI's unit tests (Vitest), then everything else; the UI's browser tests run inside pytest
# (tests/integration/ui) against a standalone of their own.
test: infra
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(VENV)/bin/ruff check harrier tests benchmarks
	cd ui && npm run -s test:unit
	$(PY) -m pytest -q -p no:cacheprovider --durations=15

test-unit: install
	$(PY) -m pytest -q -m "not integration" tests/unit

# The quick suite (about ten minutes): the Kafka floor, then every scenario on Harrier and on
# Kestra started beside it; rewrites their sections of benchmarks/RESULTS.md and the plots.
bench: infra
	$(PY) -m benchmarks.kafka_floor --write benchmarks/RESULTS.md
	$(PY) -m benchmarks.harness --quick --start-harrier --start-kestra --write benchmarks/RESULTS.md

# The fault scenarios at full size (2,000 executions each, a 60 s Elasticsearch outage; about
# half an hour): a table of executions, lost, duplicated and log lines lost. CI runs the short
# variant of each inside `make test` (tests/chaos/test_chaos.py).
chaos: infra
	$(PY) -m tests.chaos

# No fault, a long steady load (10,000 executions through the webserver in 30 minutes, every
# component up): each process's memory after the warm-up and at the end, each group's lag.
soak: infra
	$(PY) -m tests.chaos.soak

down: stop
	-$(HARRIER) infra down

clean: down
	rm -rf $(VENV) build *.egg-info
