# Parallax developer entry points. Only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
CORPUS ?= seeds

.PHONY: run test lint bench package test-package install-desktop clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps re-run the install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	@$(PY) -m app.cli.displaylibs
	$(PY) -m app gui $(CORPUS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(wildcard app tests bench packaging)
	$(BIN)/lint-imports
	$(BIN)/mypy app

test: $(VENV)/.installed-test lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

bench: $(VENV)/.installed
	for b in bench/*_quality.py bench/*_speed.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache

# Standalone build (packaging/README.md): dist/parallax/parallax, or dist/parallax-onefile
# with ONEFILE=1. Prints the build time and the bundle size.
$(VENV)/.installed-package: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[package]'
	touch $(VENV)/.installed $@

package: $(VENV)/.installed-package
	$(PY) packaging/build.py $(if $(ONEFILE),--onefile)
	@du -sh dist/parallax$(if $(ONEFILE),-onefile)

# Builds when dist/parallax is missing or older than the sources, then runs only the bundle test.
test-package: $(VENV)/.installed-package $(VENV)/.installed-test
	@if [ ! -x dist/parallax/parallax ] || [ -n "$$(find app resources seeds packaging pyproject.toml -newer dist/parallax/parallax -type f ! -path '*/__pycache__/*' -print -quit)" ]; then \
		$(MAKE) --no-print-directory package; fi
	PARALLAX_REQUIRE_PACKAGE=1 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider -m package tests/package

# Desktop entry, icons and .parallax MIME type for the current user (Exec: the built bundle
# when present, else `parallax` on PATH). packaging/install-desktop.sh --uninstall removes them.
install-desktop:
	sh packaging/install-desktop.sh
