# gdtools — the two set-up commands are `make demo` and `make test`; both run `make setup` first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.gdtools-installed
SAMPLE := data/sample

.PHONY: setup demo test lint fuzz lab bench eval clean

setup: $(STAMP)

# Idempotent: rebuilds only when the venv is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[lab,fast,dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

demo: setup
	$(BIN)/gdtools run notebooks/*.ipynb --corpus $(SAMPLE) --out reports

test: setup
	$(BIN)/python -m pytest -q
	$(BIN)/python -m gdtools.eval all ../shared/realdata

lint: setup
	$(BIN)/ruff check gdtools tests benchmarks
	$(BIN)/python -m gdtools.notebooks --check-stripped notebooks

fuzz: setup
	GDTOOLS_FUZZ=long $(BIN)/python -m pytest -q tests/test_fuzz.py

lab: setup
	$(BIN)/jupyter lab --allow-root --notebook-dir=notebooks

bench: setup
	$(BIN)/python benchmarks/bench_process.py

clean:
	rm -rf $(VENV) .gdtools-cache
