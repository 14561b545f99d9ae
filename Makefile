# Ritmo: `make demo` runs it with the demo LMS; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two stamps: `make demo` installs what running needs; `make test` adds the test tools.
RUNTIME := $(VENV)/.installed-runtime
STAMP   := $(VENV)/.installed
PIP     := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: demo test lint typecheck pytest browser-deps translations clean

$(RUNTIME): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Ritmo's requirements into $(VENV) (the first time takes a minute)..."
	@$(PIP) install -e .
	@touch $@

$(STAMP): $(RUNTIME)
	@$(PIP) install -e '.[test]'
	@touch $@

demo: $(RUNTIME)
	@$(BIN)/lti-tool demo

test: $(STAMP) browser-deps
	$(BIN)/ruff check lti_tool tests bench config
	$(BIN)/mypy lti_tool
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium; install it when this machine can.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed: browser tests will skip (sudo apt-get install chromium)"; fi; }
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/browser --no-audit --no-fund --silent; \
	  else echo "npm not installed: the accessibility checks (axe-core) will skip"; fi

translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o lti_tool/translations/messages.pot .
	$(BIN)/pybabel update -N --ignore-obsolete -i lti_tool/translations/messages.pot -d lti_tool/translations
	$(BIN)/pybabel compile -d lti_tool/translations

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
