#!/bin/sh
# Times N trivial tasks (distributed-pool) through a standalone supervisor with workers on two
# network namespaces, then the same on one host over loopback. Needs root (network namespaces).
#   sh Tests/MultiHost/throughput.sh [BUILD_DIR] [N] [REPEAT]
exec "${PYTHON:-python3}" "$(dirname "$0")/run.py" --bin "${1:-.build/debug}" --throughput "${2:-5000}" --repeat "${3:-3}"
