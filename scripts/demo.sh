#!/usr/bin/env bash
# Builds isnetd in release mode and runs it on the shipped default.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export OPENBLAS_NUM_THREADS=1
swift build -c release --product isnetd
.build/release/isnetd --version
.build/release/isnetd self-check
