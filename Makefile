# oms: `make run` serves the API and console on SQLite; `make test` runs lint, types and tests.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint docs bench clean browser-deps

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	mkdir -p var
	$(BIN)/oms migrate
	$(BIN)/oms demo --if-empty
	$(BIN)/oms serve

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory docs

# The documentation site (docs/, mkdocs.yml) into build/site/; --strict fails on a broken link
# or an unknown generated-table marker.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Debian's Chromium for the browser tests: installed only when missing, and only as root with
# apt-get; otherwise say so (the browser tests then skip locally and fail under CI=true).
browser-deps:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver fonts-noto-cjk; \
	  else echo "chromium is missing: install it (apt-get install chromium) for the browser tests"; fi; }

test: lint browser-deps
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench.orders_bench
	$(BIN)/python -m bench.stock_bench
	$(BIN)/python -m bench.ingest_bench
	$(BIN)/python -m bench.tracking_bench
	$(BIN)/python -m bench.stall_bench
	$(BIN)/python -m bench.matching_accuracy
	$(BIN)/python -m bench.matching_speed

clean:
	rm -rf $(VENV) var build/site .pytest_cache .mypy_cache .ruff_cache
