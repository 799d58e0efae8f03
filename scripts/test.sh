#!/usr/bin/env bash
# Runs the whole isnetd test suite: installs the system packages it needs, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# One OpenBLAS/OpenMP pool per process; libtorch's intra-op threads are set by the code itself.
export OPENBLAS_NUM_THREADS=1
swift build --build-tests
# Serially: tests that compare training runs share libtorch's global random generator.
swift test --skip-build --no-parallel "$@"
