# Every target creates .venv and installs what it needs when missing, so a fresh
# machine needs nothing but Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format eval bench bench-scale clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/newsbot run

# The PostgreSQL tests start a throwaway server from these programs; a fresh
# machine without them gets Debian's package (as root; elsewhere they skip).
PG_BIN ?= /usr/lib/postgresql/15/bin

$(PG_BIN)/initdb:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null; \
	else \
		echo "PostgreSQL 15 server programs missing: install postgresql-15 to run their tests"; \
	fi

test: $(STAMP) $(PG_BIN)/initdb
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix bot tests bench
	$(BIN)/ruff format bot tests bench

# The quality baselines (ROUGE scorer, YAKE) are only needed to measure, not to run.
$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

eval: $(VENV)/.bench-installed
	$(BIN)/python -m bench.eval $(EVAL_ARGS)

# Delivery and ingest speed: fan-out to 1,000 channels at a local fake Discord,
# ingest throughput per stage on the BBC data, and polling 500 feeds on 127.0.0.1.
bench: $(STAMP)
	$(BIN)/python -m bench.fanout
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.feeds

# A 100,000-article archive on SQLite and on a throwaway PostgreSQL, each against its bare
# database (SCALE_ARGS="--articles 20000" or "--backend sqlite" is quicker).
bench-scale: $(VENV)/.bench-installed $(PG_BIN)/initdb
	$(BIN)/python -m bench.scale $(SCALE_ARGS)

clean:
	rm -rf $(VENV) data/*.db* .pytest_cache .mypy_cache .ruff_cache
