# The two commands of README.md live here: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-test node-deps debian-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,llm]'

# Node's OTel exporters are real clients with their own quirks (chunked bodies, numbers for int64).
node-deps:
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	cd tests/node && npm install --no-audit --no-fund --silent

# Real Prometheus tools for the rule tests: promtool (Debian package prometheus) and Alertmanager.
debian-deps:
	@if ! command -v promtool >/dev/null || [ ! -x /usr/bin/prometheus-alertmanager ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    prometheus prometheus-alertmanager; fi

run: install
	$(BIN)/weavergen serve --config config.yaml

# pytest exits 5 when it collected no tests: that is a failure, not a pass.
test: install-test node-deps debian-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

bench: install
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) data build *.egg-info tests/node/node_modules
