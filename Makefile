# Likvärd — the two commands of the quick start are `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
YEAR ?= 2024

.PHONY: install demo allocate test lint typecheck unit bench clean browser-deps

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

PORT ?= 8000

## The main job on the embedded default: the demo municipality's 2024 allocation (files in
## out/), then the web application with the demo users on 127.0.0.1:$(PORT).
demo: install
	mkdir -p out
	$(BIN)/likvard allocate --demo --year $(YEAR) --model models/stockholm-$(YEAR) \
	  --json out/allocation-$(YEAR).json --xlsx out/allocation-$(YEAR).xlsx
	LIKVARD_MODEL_DIR=$(CURDIR)/models/stockholm-$(YEAR) $(BIN)/likvard serve --demo --port $(PORT)

## Only the allocation, without the web server.
allocate: install
	mkdir -p out
	$(BIN)/likvard allocate --demo --year $(YEAR) --model models/stockholm-$(YEAR) \
	  --json out/allocation-$(YEAR).json --xlsx out/allocation-$(YEAR).xlsx

## Browser and PDF tests need Debian's Chromium and poppler-utils; install them when missing and we may.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftotext ]; then \
	  if [ "$$(id -u)" = "0" ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null) || echo "chromium/poppler-utils could not be installed: those tests will be skipped"; \
	  else echo "chromium or poppler-utils missing and not root: those tests will be skipped"; fi; fi

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy src/likvard/engine src/likvard/money.py

unit: install
	$(BIN)/pytest -q -n 2 --dist loadfile

test: install browser-deps lint typecheck unit

bench: install
	$(BIN)/python bench/allocation.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/sweep.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
