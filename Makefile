# Two commands set up a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup runtime bench lint clean

run: setup
	$(PY) -m webr_desktop $(ARGS)

test: setup
	$(PY) -m pytest tests
	$(VENV)/bin/lint-imports

setup: $(STAMP) runtime

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Fetches webR with npm, checks the pinned sha512, unpacks dist/ into wasm/dist (git-ignored).
# Does nothing when the runtime is already there and intact.
runtime: $(STAMP)
	$(PY) -m webr_desktop fetch-runtime

bench: setup
	$(PY) bench/startup.py
	$(PY) bench/console_flood.py
	$(PY) bench/plots.py
	$(PY) bench/quick_plot.py
	$(PY) bench/data_viewer.py
	$(PY) bench/drive.py
	$(PY) bench/drive_flood.py
	$(PY) bench/network.py
	$(PY) bench/rstudioapi.py

clean:
	rm -rf $(VENV) wasm/dist
