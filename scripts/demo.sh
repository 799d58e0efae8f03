#!/usr/bin/env bash
# Builds isnetd in release mode and runs it on the shipped default: a self-check of the native
# libraries, then every sample DICOM through isnetd's DICOM input (one sample is deliberately
# truncated and one is a lateral view: they show the error code and the screening verdict).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export OPENBLAS_NUM_THREADS=1
swift build -c release --product isnetd
.build/release/isnetd --version
.build/release/isnetd self-check
# inspect exits 1 when a file cannot be decoded, as the truncated sample cannot.
.build/release/isnetd inspect samples/*.dcm || test $? -eq 1
