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

build: deps
	$(SWIFT) build

# The main job on the embedded default: local worker processes, in-process supervisor.
demo: deps
	$(SWIFT) build --product pool-results
	$(SWIFT) run --skip-build pool-results

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

bench: deps
	$(PYTHON) Benchmarks/run.py

bench-quick: deps
	$(PYTHON) Benchmarks/run.py --quick

clean:
	rm -rf .build
