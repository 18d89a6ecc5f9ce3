# Two entry points, both from a fresh clone with only Python 3.11 and make:
#   make demo   create .venv, install, ingest a real community (the beer site's .7z) and profile it
#   make test   create .venv, install, run ruff, mypy and the whole test suite
#   make test-spark   the Spark engine's parity test (needs Java 17; CI runs it after make test)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data
STORE ?= communitas.duckdb

.PHONY: install demo test test-spark lint clean

$(BIN)/communitas: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/communitas

demo: install
	$(BIN)/communitas ingest $(DATA)/stackexchange-beer-7z/beer.stackexchange.com.7z --store $(STORE)
	$(BIN)/communitas profile --store $(STORE)

# ruff, mypy, dead code (vulture: [tool.vulture] in pyproject.toml) and the CLI convention (every
# option declared in src/communitas/cli/common.py)
lint: install
	$(BIN)/ruff check src tests benchmarks fuzz tools
	$(BIN)/mypy
	$(BIN)/vulture
	$(BIN)/python tools/check_cli_options.py

test: lint
	$(BIN)/pytest

# The Spark engine's parity test (needs Java 17): the `spark` extra, then the tests marked spark.
test-spark: install
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	SPARK_LOCAL_IP=127.0.0.1 $(BIN)/pytest -m spark tests/test_spark.py

clean:
	rm -rf $(VENV) $(STORE) $(STORE).wal
