# Privet: `make demo` and `make test` are all a fresh machine needs (Python 3.11 and make).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
# Two cores: one xdist worker each.
XDIST  ?= -n 2 --dist loadfile
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test test-sqlite test-postgres lint bench lock browser clean schema

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(VENV)/.installed-base: requirements/base.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements/test.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(BIN)/privet demo

# Debian's Chromium for the browser tests; never a downloaded browser. Without root (and not
# under CI) the browser tests skip and say so.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Could not install chromium; browser tests will skip (fail under CI)."; \
	  else echo "No /usr/bin/chromium: browser tests will skip (run: apt-get install chromium)."; fi; \
	fi

test: $(VENV)/.installed-test browser
	$(BIN)/ruff check src bench conftest.py
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)
	@if [ "$$CI" = "true" ] || [ -n "$$PRIVET_TEST_POSTGRES" ]; then \
	  echo "== The suite again on PostgreSQL ($(PG_URL)) =="; \
	  PRIVET_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS); \
	fi

test-postgres: $(VENV)/.installed-test browser
	PRIVET_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# ruff's linter only: the code is laid out by hand (compact, 110 columns), not by ruff format.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src bench conftest.py

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Regenerate the JSON Schema of the declaration (a test checks it is current).
schema: $(VENV)/.installed-base
	PRIVET_SECRET_KEY=schema-only-no-secrets-are-used-here $(BIN)/privet policy schema -o docs/policy.schema.json

# Re-resolve the locks from pyproject.toml (needs the registry).
lock: | $(BIN)/python
	$(BIN)/pip install --quiet "uv>=0.5"
	$(BIN)/uv pip compile --quiet --python-version 3.11 pyproject.toml -o requirements/base.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra test pyproject.toml -o requirements/test.txt

clean:
	rm -rf $(VENV) var .pytest_cache
