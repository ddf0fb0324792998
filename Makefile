# Harrier: the commands people and CI use. Everything installs into .venv from pinned versions.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HARRIER := $(VENV)/bin/harrier

.PHONY: install infra run test test-unit bench down clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test,bench]'
	touch $@

infra: install
	$(HARRIER) infra up

run: infra
	$(HARRIER) infra status

test: infra
	$(PY) -m pytest -q -p no:cacheprovider

test-unit: install
	$(PY) -m pytest -q -m "not integration" tests/unit

bench: infra
	$(PY) -m benchmarks.kafka_floor --write benchmarks/RESULTS.md

down:
	-$(HARRIER) infra down

clean: down
	rm -rf $(VENV) build *.egg-info
