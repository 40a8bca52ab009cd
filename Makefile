# PG Sandbox: `make run` starts the site on the emulator; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run serve test bench setup browser translations clean

$(BIN)/activate: requirements.txt requirements-nodeps.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(BIN)/activate

setup: $(BIN)/activate translations

translations: $(BIN)/activate
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel compile --use-fuzzy -q -d translations; fi

# Debian's Chromium for the browser tests; elsewhere Playwright's own build.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	else $(BIN)/playwright install chromium; fi

run: setup
	$(BIN)/flask --app app run --port $(PORT)

serve: setup
	$(BIN)/gunicorn --config bench/gunicorn.conf.py 'app:create_app()'

test: setup browser
	$(BIN)/pytest -q

bench: setup browser
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance
