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

# Each benchmark twice: quiet, then with 2 CPU-bound processes beside it (--load 2, stopped
# afterwards). Each prints one JSON line whose "load" says which; bench/README.md explains them.
BENCHES := startup console_flood plots quick_plot widgets data_viewer drive network viewer

bench: setup
	@status=0; for b in $(BENCHES); do for load in 0 2; do \
		$(PY) bench/$$b.py --load $$load || { status=1; echo "bench/$$b.py --load $$load failed" >&2; }; \
	done; done; exit $$status

clean:
	rm -rf $(VENV) wasm/dist
