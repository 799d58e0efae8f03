#!/usr/bin/env bash
# Regenerates docs/examples/: the terminal line, report and picture of samples/covid-19-pa-text-marker.dcm (a COVID-19
# phantom with a burned-in text marker) under the default bundle and under the shortcut-prone
# plain-shortcut bundle, as the README and docs/reports.md show them. Run it after rebuilding the
# bundles; ScreeningTests/DocsExampleTests fails while the examples are from other models.
set -euo pipefail
cd "$(dirname "$0")/.."

export OPENBLAS_NUM_THREADS=1
swift build -c release --product isnetd
isnetd=.build/release/isnetd
sample=samples/covid-19-pa-text-marker.dcm
work=$(mktemp -d /tmp/isnetd-doc-examples-XXXXXX)
mkdir -p docs/examples
for bundle in default plain-shortcut; do
  $isnetd classify "$sample" --model "models/$bundle.isnetd-model" --out "$work/$bundle" --picture-size 800 --threads 2 \
    | tee "docs/examples/text-marker.$bundle.txt"
  report=$(ls "$work/$bundle"/*.json)
  stem=${report%.json}
  cp "$report" "docs/examples/text-marker.$bundle.json"
  cp "$stem.overlay.png" "docs/examples/text-marker.$bundle.overlay.png"
done
rm -rf "$work"
ls -l docs/examples
