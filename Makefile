# authsim — `make run` and `make test` set up a fresh Debian 12 machine (as root) and go.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

# System packages the build links against (installed with apt-get only when missing).
APT_PACKAGES := pkg-config libjavascriptcoregtk-4.1-dev libcrypt-dev libargon2-dev zlib1g-dev libsqlite3-dev sqlite3 python3 python3-venv
# Pure-JavaScript packages from Debian (/usr/share/nodejs) that the tests `require` from rules,
# the headless browser (with its WebDriver) that drives the web console in the tests, and
# PostgreSQL for the store suite and the two-daemon test (a throw-away cluster, scripts/test-postgres.sh).
# MariaDB for the MySQL custom-database template tests (a throw-away server, scripts/test-mariadb.sh).
TEST_APT_PACKAGES := nodejs node-lodash node-moment node-uuid node-xmldom node-ipaddr.js node-q chromium chromium-driver postgresql mariadb-server
TENANT ?= .
PORT ?= 8080
HOST ?= 127.0.0.1

SDK_VENV := .build/sdk-venv
ARTIFACTS := $(CURDIR)/.build/test-artifacts

.PHONY: all deps test-deps apt-install build build-release run test js-check check-imports sdk-test bench fuzz soak clean

all: build

deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"
	@scripts/node-packages.sh
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

# One configuration for the daemon and the tests: release, with testable imports, so that
# `make run` then `make test` on a fresh clone compile the dependency graph once (the tests
# reuse every module `make run` built, and only add their own). `make build` is the quick
# debug build for working on the code.
CONFIG := -c release -Xswiftc -enable-testing
BIN := .build/release

build: deps
	swift build

build-release: deps
	swift build $(CONFIG) --product authsim

run: build-release
	@echo "Tenant directory: $(TENANT)  (next, in another terminal: .build/release/authsim simulate --user ann@example.com)"
	$(BIN)/authsim serve --tenant $(TENANT) --host $(HOST) --port $(PORT)

# The CLI tests run the built executable, so build everything first. Then real client
# libraries (auth0-python, authlib, PyJWT) from PyPI run against the daemon, and Selenium drives
# the web console in headless Chromium; its screenshot of the simulation page is kept in
# $(ARTIFACTS)/console-simulation.png.
# The suites that load both cores on purpose (hostile scripts under 32 concurrent logins, kill -9
# during 2,000 writes, two daemons) run on their own after the rest, so that their load cannot
# push the ordinary tests past their time limits; they run one at a time (--no-parallel), so the
# hostile suite's memory reading is its own. FuzzTests runs each fuzz target briefly (a fixed
# number of mutated inputs from a fixed seed; the host target in real logins).
# scripts/run-swift-test.py runs each `swift test`: it reaps what the tests leave running, and
# when the test process does not exit after printing its verdict (or nothing ends for 20 min) it
# prints the stuck processes' threads and stacks and kills them instead of waiting for CI's limit.
LOAD_SUITES := HostileUnderLoadTests|HostileRequestsUnderLoadTests|CrashConsistencyTests|StuckWorkerTests|TwoDaemonTests|FuzzTests

test: test-deps js-check check-imports
	swift build $(CONFIG) --build-tests
	scripts/test-postgres.sh start
	scripts/test-mariadb.sh start || { scripts/test-postgres.sh stop; exit 1; }
	export AUTHSIM_TEST_POSTGRES=$$(cat .build/test-postgres.url) AUTHSIM_TEST_MYSQL=$$(cat .build/test-mariadb.url) \
	  AUTHSIM_TEST_MYSQL_CA=$(CURDIR)/.build/test-mariadb.ca; \
	  scripts/run-swift-test.py swift test $(CONFIG) --skip-build --skip '$(LOAD_SUITES)' && \
	  scripts/run-swift-test.py swift test $(CONFIG) --skip-build --no-parallel --filter '$(LOAD_SUITES)'; \
	  rc=$$?; scripts/test-postgres.sh stop; scripts/test-mariadb.sh stop; exit $$rc
	$(BIN)/authsim test --tenant .
	$(MAKE) sdk-test

# The runtime's JavaScript (prelude, Node built-ins, flow drivers) and the console's, each parsed
# by Node as the syntax check a JavaScript file gets anywhere else.
js-check: test-deps
	@for f in $$(find Sources -name '*.js' | sort); do node --check $$f || { echo "syntax error in $$f"; exit 1; }; done
	@echo "JavaScript syntax: $$(find Sources -name '*.js' | wc -l) files parse"

# Every module a target imports is declared in Package.swift.
check-imports:
	@python3 scripts/check-imports.py

sdk-test:
	@test -x $(SDK_VENV)/bin/python || python3 -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install -q --disable-pip-version-check -r Tests/sdk/requirements.txt
	AUTHSIM_BIN=$(CURDIR)/$(BIN)/authsim AUTHSIM_ARTIFACTS=$(ARTIFACTS) $(SDK_VENV)/bin/python -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning Tests/sdk

# Figures as a table, and as JSON in .build/bench.json; the PATCH/search figures also run on a
# throw-away PostgreSQL cluster when Debian's postgresql is installed.
bench: build-release
	@if [ -x "$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)/initdb" ]; then scripts/test-postgres.sh start; fi
	$(BIN)/authsim bench --tenant $(TENANT) --json .build/bench.json $$( [ -f .build/test-postgres.url ] && echo --postgres $$(cat .build/test-postgres.url) ); rc=$$?; scripts/test-postgres.sh stop; exit $$rc

# The fuzz targets (user query parser, metadata merge + JSON, JWT parser/verifier, tenant loader,
# address parsers, attack-protection settings, request parsers, WebAssembly meter) under libFuzzer: an AddressSanitizer build with coverage instrumentation in its own build
# folder (.build/fuzz; the first build compiles every dependency again), each target for
# FUZZ_SECONDS, starting from the seeds and dictionaries `authsim-fuzz --write-corpus` writes.
# The corpus grows in .build/fuzz-corpus/<target>; crashing inputs land in .build/fuzz-artifacts.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?= query merge jwt tenant address protection request wasm
FUZZER_LIB = $$(ls $$(dirname $$(dirname $$(readlink -f $$(command -v swift))))/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-$$(uname -m).a | tail -1)
fuzz: deps
	swift build -c release --scratch-path .build/fuzz --product authsim-fuzz -Xswiftc -DLIBFUZZER -Xswiftc -sanitize=address \
	  -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table -Xlinker $(FUZZER_LIB) -Xlinker -lstdc++
	ASAN_OPTIONS=detect_leaks=0 .build/fuzz/release/authsim-fuzz --write-corpus .build/fuzz-corpus
	mkdir -p .build/fuzz-artifacts
	for t in $(FUZZ_TARGETS); do \
	  ASAN_OPTIONS=detect_leaks=0 .build/fuzz/release/authsim-fuzz $$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	    -dict=.build/fuzz-corpus/$$t.dict -artifact_prefix=.build/fuzz-artifacts/$$t- .build/fuzz-corpus/$$t || exit 1; \
	done

# Long runs of the reliability suite: SOAK_ROUNDS rounds of hostile scripts under load and
# SOAK_ROUNDS kill -9 cycles on each store, then the mutation fuzzer for SOAK_FUZZ_SECONDS.
SOAK_ROUNDS ?= 20
SOAK_FUZZ_SECONDS ?= 1200
soak: test-deps
	swift build $(CONFIG) --build-tests
	scripts/test-postgres.sh start
	export AUTHSIM_TEST_POSTGRES=$$(cat .build/test-postgres.url) AUTHSIM_SOAK_ROUNDS=$(SOAK_ROUNDS); \
	  swift test $(CONFIG) --skip-build --filter 'HostileUnderLoadTests|CrashConsistencyTests'; \
	  rc=$$?; scripts/test-postgres.sh stop; [ $$rc = 0 ] || exit $$rc
	$(BIN)/authsim-fuzz all --seconds $(SOAK_FUZZ_SECONDS)

clean:
	rm -rf .build .authsim
