# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp

.PHONY: install run test bench lint reliability clean

install: $(STAMP)

# (Re)install when the venv is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rightsbot needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/rightsbot run

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/qa_bench.py
	$(BIN)/python bench/contest_bench.py
	$(BIN)/python bench/zalo_bench.py
	$(BIN)/python bench/telegram_bench.py
	$(BIN)/python bench/peak_load.py
	$(BIN)/python bench/peak_load.py --processes 1 --students 1000 --think 1.0 --ramp 20   # paced: ~320 answers/s

# Reliability figures (issue 9): the long variants of the reliability tests, then the table in
# docs/reliability.md. Set TEST_DATABASE_URL to add the PostgreSQL rows. CI runs the short ones in `make test`.
RELIABILITY_FIGURES := bench/reliability-figures.json
reliability: $(STAMP)
	rm -f $(RELIABILITY_FIGURES)
	RELIABILITY_FULL=1 RELIABILITY_FIGURES=$(RELIABILITY_FIGURES) $(BIN)/python -m pytest -q \
		tests/test_reliability_*.py tests/test_roles_table.py
	$(BIN)/python bench/reliability_report.py $(RELIABILITY_FIGURES) docs/reliability.md

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bot tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
