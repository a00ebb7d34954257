# Two entry points for people: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
HOST  ?= 127.0.0.1
PORT  ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint setup system clean bench

run: setup
	$(VENV)/bin/hairkg serve --host $(HOST) --port $(PORT)

test: setup
	bash scripts/test

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

setup: $(STAMP)

# Benchmarks at scale (docs/benchmarks.md); needs the bench extras and wrk.
bench: setup
	$(VENV)/bin/pip install -q -c requirements.lock -e '.[bench]'
	@command -v wrk >/dev/null || echo 'bench: wrk is missing (apt-get install wrk): no throughput rows'
	scripts/bench

# Reinstall when the manifests change; system packages first (Java, Node, Chromium).
$(STAMP): pyproject.toml requirements.lock api/frontend/package-lock.json scripts/setup
	bash scripts/setup
	touch $@

clean:
	rm -rf $(VENV) var build *.egg-info api/static/vendor api/frontend/node_modules
