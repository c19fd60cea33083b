PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every install comes from the lock files under requirements/ (exact versions with hashes): a fresh
# clone installs the same thing whatever day it is. `make lock` refreshes them from pyproject.toml.
LOCKS := requirements
BUILD_STAMP := $(VENV)/.installed-build
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PIP_LOCKED := $(BIN)/pip install --quiet --require-hashes --no-deps --no-build-isolation
# Browser tests drive Debian's Chromium; the accessibility check injects axe-core, locked with npm.
CHROMIUM := /usr/bin/chromium
NODE_DIR := $(VENV)/node
AXE := $(NODE_DIR)/node_modules/axe-core/axe.min.js
# Egress tests run Debian's Squid on a loopback port they choose (tests/support/squid.py).
SQUID := /usr/sbin/squid
# Mailbox tests run Debian's Dovecot IMAP server the same way (tests/support/dovecot.py).
DOVECOT := /usr/sbin/dovecot

# The field's own tools (pywb replay, python-threatexchange), each in its own venv from its own locks
# under requirements/tools/: their pins conflict with ours or must not follow ours. Never in .venv.
TOOLS := .venv-tools
TOOL_LOCKS := $(LOCKS)/tools
TOOL_NAMES := pywb threatexchange
TOOL_STAMPS := $(TOOL_NAMES:%=$(TOOLS)/%/.installed)

.PHONY: run test bench lint lock clean browser tools squid dovecot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Build tools first (pdqhash compiles from source), so nothing below fetches unlocked build dependencies.
$(BUILD_STAMP): $(LOCKS)/build.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCKS)/build.lock
	touch $@

$(RUN_STAMP): $(LOCKS)/run.lock pyproject.toml $(BUILD_STAMP)
	$(PIP_LOCKED) -r $(LOCKS)/run.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(DEV_STAMP): $(LOCKS)/dev.lock pyproject.toml $(BUILD_STAMP)
	$(PIP_LOCKED) -r $(LOCKS)/dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(RUN_STAMP)

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

$(AXE): $(LOCKS)/npm/package-lock.json
	mkdir -p $(NODE_DIR)
	cp $(LOCKS)/npm/package.json $(LOCKS)/npm/package-lock.json $(NODE_DIR)/
	npm ci --silent --no-audit --no-fund --prefix $(NODE_DIR)
	touch $@

browser: $(CHROMIUM) $(AXE)

# A changed lock rebuilds the tool's venv from scratch, so it holds exactly what the locks say.
# Build tools (pip, setuptools, Cython, numpy...) come first from <tool>-build.lock; the tool's lock then
# installs without build isolation, so source builds (pdqhash, weighted-levenshtein, surt) use them.
$(TOOLS)/%/.installed: $(TOOL_LOCKS)/%.lock $(TOOL_LOCKS)/%-build.lock
	rm -rf $(TOOLS)/$*
	$(PYTHON) -m venv $(TOOLS)/$*
	$(TOOLS)/$*/bin/pip install --quiet --require-hashes --no-deps -r $(TOOL_LOCKS)/$*-build.lock
	$(TOOLS)/$*/bin/pip install --quiet --require-hashes --no-deps --no-build-isolation -r $<
	touch $@

tools: $(TOOL_STAMPS)

# The package starts a system-wide Squid on port 3128 wherever init lets it (systemd, or sysvinit without
# a policy-rc.d forbidding it). Tests never use it: stop it and keep it from starting at boot.
$(SQUID):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq squid
	systemctl disable --now squid >/dev/null 2>&1 || { /etc/init.d/squid stop; update-rc.d squid disable; } >/dev/null 2>&1 || true

squid: $(SQUID)

# Like Squid, the package starts a system-wide Dovecot (IMAP on 143) where init lets it: keep it off.
$(DOVECOT):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd
	systemctl disable --now dovecot.socket dovecot >/dev/null 2>&1 || { /etc/init.d/dovecot stop; update-rc.d dovecot disable; } >/dev/null 2>&1 || true

dovecot: $(DOVECOT)

run: $(RUN_STAMP)
	$(BIN)/hotline init
	$(BIN)/hotline serve

test: $(DEV_STAMP) browser squid dovecot tools
	$(BIN)/python -m pytest -q

bench: $(DEV_STAMP)
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/capture.py
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/e2e.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy --strict fingerprints forwarders
	$(BIN)/mypy hotline cli.py

# Resolve pyproject.toml's ranges afresh (newest versions that fit) and write the three locks with hashes.
# run.lock and build.lock are constrained by dev.lock, so every lock names the same version of a package.
# Each tool's lock is resolved on its own; its build lock is constrained by it (same numpy to build against).
UV_COMPILE := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11
lock: $(DEV_STAMP)
	$(UV_COMPILE) --upgrade pyproject.toml --extra dev --extra scale -o $(LOCKS)/dev.lock
	$(UV_COMPILE) pyproject.toml --extra scale -c $(LOCKS)/dev.lock -o $(LOCKS)/run.lock
	$(UV_COMPILE) $(LOCKS)/build.in -c $(LOCKS)/dev.lock -o $(LOCKS)/build.lock
	cd $(LOCKS)/npm && npm install --package-lock-only --silent --no-audit --no-fund
	for tool in $(TOOL_NAMES); do \
	  $(UV_COMPILE) --upgrade $(TOOL_LOCKS)/$$tool.in -o $(TOOL_LOCKS)/$$tool.lock && \
	  $(UV_COMPILE) --upgrade $(TOOL_LOCKS)/$$tool-build.in -c $(TOOL_LOCKS)/$$tool.lock \
	    -o $(TOOL_LOCKS)/$$tool-build.lock || exit 1; \
	done

clean:
	rm -rf $(VENV) $(TOOLS) var
