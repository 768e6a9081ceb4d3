# Panorama — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test servers browser stop venv lint unit integration e2e bench soak migrate clean

# Start everything (servers, migrations, services, gateway, demo data); Ctrl-C stops it.
run: venv servers
	$(PY) -m deploy.local.supervisor

# Whole suite: servers if missing, ruff, mypy, unit, integration and browser tests.
test: venv servers browser lint
	set -a; source deploy/local/env.sh; set +a; \
	  $(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

venv: $(STAMP)
# The registry decides which packages setup.py installs: a new service reinstalls the venv.
$(STAMP): pyproject.toml setup.py constraints.txt services/kernel/kernel/registry.py
	command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

browser:
	bash deploy/local/lib/browser.sh

servers:
	bash deploy/local/up.sh

stop:
	bash deploy/local/down.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# Import roots (kernel, every registered service, gateway) come from the service registry.
	MYPYPATH=$$($(PY) -m kernel.registry mypy-path) $(VENV)/bin/mypy services gateway bench deploy tests

unit: venv
	$(PY) -m pytest -p no:cacheprovider -m "not integration and not e2e"

# `make bench CUSTOMERS=5000|100000|1000000` (default 100000); BENCH_ARGS passes any other option.
bench: venv servers
	set -a; source deploy/local/env.sh; set +a; \
	  $(PY) -m bench.run $(if $(CUSTOMERS),--customers $(CUSTOMERS)) $(BENCH_ARGS)

# Load held: 200 simulated users for 10 minutes on the whole stack (SOAK_ARGS=--quick: 50 users, 2 min).
soak: venv servers
	set -a; source deploy/local/env.sh; set +a; $(PY) -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache test-artifacts
