# Jingwu — the two commands: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
export JINGWU_ENV ?= dev

.PHONY: demo serve test test-only lint bench browser messages clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s)" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

## make demo: set up, load the Jin'an demo district into var/jingwu.sqlite3 and serve it
## with the live feeder (calls, moving units); JINGWU_DEMO_FEED=0 make demo switches it off.
demo: $(STAMP)
	$(BIN)/jingwu demo load
	JINGWU_DEMO_FEED=$${JINGWU_DEMO_FEED:-1} $(BIN)/jingwu serve --port $(PORT)

serve: $(STAMP)
	$(BIN)/jingwu serve --port $(PORT)

## make test: set up (browser included), lint, and run the whole suite.
test: $(STAMP) browser lint test-only

test-only: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/jingwu manage makemigrations --check --dry-run

# Browser tests drive Debian's Chromium (root) or Playwright's own download (elsewhere),
# with a CJK font so Chinese renders in screenshots. Never skipped: a missing browser fails.
browser:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei"; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	else $(BIN)/playwright install chromium; fi

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@for b in bench/*.py; do [ "$$(basename $$b)" = "__init__.py" ] || $(BIN)/python -m bench.$$(basename $$b .py); done

## make messages: regenerate the English catalogue (msgids are Simplified Chinese).
messages: $(STAMP)
	cd src/jingwu && ../../$(BIN)/jingwu manage makemessages -l en --no-obsolete && ../../$(BIN)/jingwu manage compilemessages -l en

clean:
	rm -rf $(VENV) var
