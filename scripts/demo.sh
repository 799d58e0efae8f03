#!/usr/bin/env bash
# Builds isnetd in release mode and runs it on the shipped default: a self-check of the native
# libraries, then `isnetd classify` on every file of samples/ with the default model bundle, writing a
# report, a picture, a lung mask and the raw heatmap per file to a new temporary folder. One sample is
# deliberately truncated (error: truncated, so classify exits 1) and one is a lateral view (not
# screened). Last, the sample with a burned-in text marker under models/plain-shortcut.isnetd-model, a
# classifier that learned such markers, to show the shortcut checks firing. Not for clinical use.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export OPENBLAS_NUM_THREADS=1
swift build -c release --product isnetd
isnetd=.build/release/isnetd
$isnetd --version
$isnetd self-check
out=$(mktemp -d /tmp/isnetd-demo-XXXXXX)
echo
echo "== isnetd classify samples/*.dcm --out $out"
# classify exits 1 because the truncated sample cannot be read; anything else is a failure.
status=0
$isnetd classify samples/*.dcm --out "$out" || status=$?
test $status -eq 1
echo
echo "== the text-marker sample under a model that learned the markers (models/plain-shortcut.isnetd-model)"
$isnetd classify samples/covid-19-pa-text-marker.dcm --model models/plain-shortcut.isnetd-model
echo
echo "reports (.json), pictures (.overlay.png), lung masks (.mask.png) and heatmaps (.relevance.safetensors) in $out"
echo "(phantoms, not patients: not for clinical use)"
