# Two commands set up a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup runtime bench lint clean bundle installer installer-test

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
BENCHES := startup code_cache_bound console_flood plots canvas quick_plot widgets data_viewer drive network viewer compute debugger \
	drive_flood packages packages_pane rstudioapi memory

bench: setup
	@status=0; for b in $(BENCHES); do for load in 0 2; do \
		$(PY) bench/$$b.py --load $$load || { status=1; echo "bench/$$b.py --load $$load failed" >&2; }; \
	done; done; exit $$status

# ---- installer (installer/README.md): a PyInstaller one-folder bundle, a .tar.gz and a .deb.
# Built from a non-editable install in its own venv (an editable one leaves resources out),
# with the runtime `make runtime` verified copied inside.
BUILD_VENV := build/venv
BUILD_PY   := $(BUILD_VENV)/bin/python
BUILD_STAMP := $(BUILD_VENV)/.installed
BUNDLE     := dist/webr-desktop
# SEED_REPO=DIR: a repository from `webr-desktop packages seed NAMES --to DIR`, shipped inside
# the bundle as an offline package source that comes first (empty: none).
SEED_REPO  ?=

$(BUILD_STAMP): installer/requirements.txt
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_PY) -m pip install --quiet --upgrade pip
	$(BUILD_PY) -m pip install --quiet -r installer/requirements.txt
	touch $(BUILD_STAMP)

# PYTHONPATH unset: a checkout on it would shadow the installed package (and its resources).
bundle: runtime $(BUILD_STAMP)
	$(BUILD_PY) -m pip install --quiet --no-deps --force-reinstall .
	env -u PYTHONPATH WEBR_DESKTOP_RUNTIME_SRC=$(CURDIR)/wasm/dist WEBR_DESKTOP_SEED_REPO=$(SEED_REPO) \
		$(BUILD_VENV)/bin/pyinstaller --noconfirm --clean \
		--log-level WARN --distpath dist --workpath build/pyinstaller installer/webr-desktop.spec
	$(BUNDLE)/webr-desktop fetch-runtime --check

installer: bundle
	$(PYTHON) installer/package.py --bundle $(BUNDLE) --out dist

# Tests the built bundle and packages (tests/installer, marker `installer`); not in `make test`.
installer-test: installer
	$(PY) -m pytest -m installer tests/installer
	$(PY) bench/bundle.py

clean:
	rm -rf $(VENV) wasm/dist build dist
