# PG Sandbox: `make run` starts the site on the emulator; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run serve test test-quick bench setup browser translations translations-update pot clean

STAMP := $(VENV)/.installed

# The virtualenv, with every pinned package; the stamp is written only after all installs passed.
# (Debian's python3 needs python3-venv for `-m venv`; it is installed when missing.)
$(STAMP): requirements.txt requirements-nodeps.txt
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv \
	  && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

setup: $(STAMP) translations

translations: $(STAMP)
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel -q compile --use-fuzzy -d translations; fi

# Every translatable string: _() / gettext in code and templates, plus the helpers that mark
# messages translated later (N_, _l / lazy_gettext) or take one as an argument
# (shop.views.refused(error, message), catalog.OrderRefused(error, message)), and i18n.msg(message,
# **values): a message stored now and rendered later in the reader's language.
BABEL_KEYWORDS := -k N_ -k _l -k lazy_gettext -k msg -k refused:2 -k OrderRefused:2
POT ?= translations/messages.pot

# The catalog template (tests/test_i18n.py extracts with this same target into a temporary file).
pot:
	@$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --add-location=file \
	  --ignore-dirs='.* _* tests bench translations instance node_modules' \
	  --project='PG Sandbox' --copyright-holder='PG Sandbox' -o $(POT) .

# Re-extract and merge new strings into translations/ko (then translate the empty msgstr's).
translations-update: $(STAMP)
	@$(MAKE) --no-print-directory pot POT=translations/messages.pot
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations -l ko --no-fuzzy-matching \
	  --ignore-obsolete
	@rm -f translations/messages.pot

# Debian's Chromium for the browser tests; elsewhere Playwright's own build.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	else $(BIN)/playwright install chromium; fi

run: setup
	$(BIN)/flask --app app run --port $(PORT)

# The shop (PORT, default 8000) and the emulator (EMULATOR_PORT, default PORT+1) as two servers.
serve: setup
	$(BIN)/python bench/serve.py

test: setup browser
	$(BIN)/pytest -q

# The quicker loop: everything but real-browser, multi-worker, storm and bench tests.
test-quick: setup
	$(BIN)/pytest -q -m "not browser and not slow"

bench: setup browser
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance
