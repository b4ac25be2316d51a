# Troupe — every command a new user needs. Each target installs what it needs first.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTHON ?= python3

.PHONY: all deps build demo test examples bench bench-quick docs clean

all: build

# libzmq (with its header and pkg-config file) from Debian; pyzmq and msgpack for the
# protocol conformance tests and the Python peers in the benchmarks.
deps:
	@if [ ! -f /usr/include/zmq.h ] || ! command -v pkg-config >/dev/null; then \
		echo "installing libzmq3-dev and pkg-config (apt-get)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libzmq3-dev pkg-config >/dev/null; \
	fi
	@$(PYTHON) -c "import zmq, msgpack" 2>/dev/null || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check pyzmq msgpack
	@# iproute2 (`ip`) and util-linux (`unshare`) for the multi-host tests' network namespaces;
	@# they need root anyway, and skip without it.
	@if [ "$$(id -u)" = 0 ] && ! { command -v ip && command -v unshare; } >/dev/null; then \
		echo "installing iproute2 and util-linux (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 util-linux >/dev/null; \
	fi
	@# Headless Chromium for the dashboard's end-to-end test (Tests/Dashboard/run.py).
	@command -v chromium >/dev/null || { echo "installing chromium (apt-get)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

build: deps
	$(SWIFT) build

# The main job on the embedded default: local worker processes, in-process supervisor.
demo: deps
	$(SWIFT) build --product pool-results
	$(SWIFT) run --skip-build pool-results

# Suites that start no process and bind no port run in parallel; the others, one at a time.
UNIT_SUITES := TroupeWireTests|ReadyWaitersTests|DocSnippetTests|PoolStateMachineTests|InMemoryTests|MailboxOutboxTests|TroupeMetricsTests|TaskActivityTests|WorkerReplacementsTests
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --filter '$(UNIT_SUITES)'
	$(SWIFT) test --skip-build --no-parallel --skip '$(UNIT_SUITES)'
	$(PYTHON) Tests/Conformance/run_all.py --bin .build/debug
	$(PYTHON) Tests/MultiHost/run.py --bin .build/debug
	$(PYTHON) Tests/Dashboard/run.py --bin .build/debug

bench: deps
	$(PYTHON) Benchmarks/run.py

bench-quick: deps
	$(PYTHON) Benchmarks/run.py --quick

# The documentation, built with swift-docc-plugin: the Troupe module with its catalog
# (Sources/Troupe/Troupe.docc: getting started, one article per concept), and the ZeroMQ and
# TroupeWire modules. One archive per module in $(DOCS_OUTPUT); any warning (a broken link, a
# parameter without its description) fails the build. DOCS_SCRATCH picks the build folder.
DOCS_OUTPUT ?= .build/docs
DOCS_SCRATCH ?= .build
docs: deps
	$(SWIFT) package --scratch-path $(DOCS_SCRATCH) --allow-writing-to-directory $(DOCS_OUTPUT) \
		generate-documentation --target Troupe --target ZeroMQ --target TroupeWire --target TroupeDashboard \
		--output-path $(DOCS_OUTPUT) --warnings-as-errors
	@echo "documentation: $(DOCS_OUTPUT)/Troupe.doccarchive (to browse it: swift package --disable-sandbox preview-documentation --target Troupe)"

clean:
	rm -rf .build
