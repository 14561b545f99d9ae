# Ritmo: `make demo` runs it with the demo LMS; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two stamps: `make demo` installs what running needs; `make test` adds the test tools.
RUNTIME := $(VENV)/.installed-runtime
STAMP   := $(VENV)/.installed
PIP     := $(BIN)/python -m pip --quiet --disable-pip-version-check
# Test processes (pytest-xdist; each test file stays in one): 0 runs the suite in this process.
TEST_WORKERS ?= 2

.PHONY: demo test lint typecheck pytest browser-deps translations api-reference-assets clean

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
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

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

# The API reference (/api/docs) is Swagger UI, vendored from npm at this version (docs/api.md).
SWAGGER_UI_VERSION := 5.36.0
SWAGGER_UI_DIR     := lti_tool/static/vendor/swagger-ui-dist
api-reference-assets:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null \
	  && tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz && cd - >/dev/null \
	  && for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do \
	       cp $$tmp/package/$$f $(SWAGGER_UI_DIR)/; done \
	  && rm -rf $$tmp && echo "swagger-ui-dist $(SWAGGER_UI_VERSION) in $(SWAGGER_UI_DIR)"

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
