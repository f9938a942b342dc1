# authsim — `make run` and `make test` set up a fresh Debian 12 machine (as root) and go.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

# System packages the build links against (installed with apt-get only when missing).
APT_PACKAGES := pkg-config libjavascriptcoregtk-4.1-dev libcrypt-dev libargon2-dev libsqlite3-dev sqlite3 python3 python3-venv
# Pure-JavaScript packages from Debian (/usr/share/nodejs) that the tests `require` from rules,
# the headless browser (with its WebDriver) that drives the web console in the tests, and
# PostgreSQL for the store suite and the two-daemon test (a throw-away cluster, scripts/test-postgres.sh).
TEST_APT_PACKAGES := node-lodash node-moment node-uuid node-xmldom node-ipaddr.js node-q chromium chromium-driver postgresql
TENANT ?= .
PORT ?= 8080
HOST ?= 127.0.0.1

SDK_VENV := .build/sdk-venv
ARTIFACTS := $(CURDIR)/.build/test-artifacts

.PHONY: all deps test-deps apt-install build build-release run test sdk-test bench clean

all: build

deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"
	@command -v swift >/dev/null || { echo "swift not found (expected in /opt/swift/usr/bin)"; exit 1; }

test-deps: deps
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(TEST_APT_PACKAGES)"

# Installs those of $(PACKAGES) that are missing.
apt-install:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	swift build

build-release: deps
	swift build -c release --product authsim

run: build-release
	@echo "Tenant directory: $(TENANT)  (next, in another terminal: .build/release/authsim simulate --user ann@example.com)"
	.build/release/authsim serve --tenant $(TENANT) --host $(HOST) --port $(PORT)

# The CLI tests run the built executable, so build everything first. Then real client
# libraries (auth0-python, authlib, PyJWT) from PyPI run against the daemon, and Selenium drives
# the web console in headless Chromium; its screenshot of the simulation page is kept in
# $(ARTIFACTS)/console-simulation.png.
# The suites that load both cores on purpose (hostile scripts under 32 concurrent logins, kill -9
# during 2,000 writes, two daemons) run on their own after the rest, so that their load cannot
# push the ordinary tests past their time limits.
LOAD_SUITES := HostileUnderLoadTests|CrashConsistencyTests|StuckWorkerTests|TwoDaemonTests

test: test-deps
	swift build --build-tests
	scripts/test-postgres.sh start
	export AUTHSIM_TEST_POSTGRES=$$(cat .build/test-postgres.url); \
	  swift test --skip-build --skip '$(LOAD_SUITES)' && swift test --skip-build --filter '$(LOAD_SUITES)'; \
	  rc=$$?; scripts/test-postgres.sh stop; exit $$rc
	.build/debug/authsim test --tenant .
	$(MAKE) sdk-test

sdk-test:
	@test -x $(SDK_VENV)/bin/python || python3 -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install -q --disable-pip-version-check -r Tests/sdk/requirements.txt
	AUTHSIM_BIN=$(CURDIR)/.build/debug/authsim AUTHSIM_ARTIFACTS=$(ARTIFACTS) $(SDK_VENV)/bin/python -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning Tests/sdk

# Figures as a table, and as JSON in .build/bench.json; the PATCH/search figures also run on a
# throw-away PostgreSQL cluster when Debian's postgresql is installed.
bench: build-release
	@if [ -x "$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)/initdb" ]; then scripts/test-postgres.sh start; fi
	.build/release/authsim bench --tenant $(TENANT) --json .build/bench.json $$( [ -f .build/test-postgres.url ] && echo --postgres $$(cat .build/test-postgres.url) ); rc=$$?; scripts/test-postgres.sh stop; exit $$rc

clean:
	rm -rf .build .authsim
