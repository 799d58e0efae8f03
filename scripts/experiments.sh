#!/usr/bin/env bash
# Runs every shortcut experiment docs/experiment/README.md reports, with the commands it shows (a test
# checks that each of them is a line of this script). Phantoms, not patients: not for clinical use.
#
#   scripts/experiments.sh             all of them, one after another (about 13 hours on 2 cores)
#   scripts/experiments.sh PATTERN     only the runs whose command line contains PATTERN
#
# Data goes to /tmp/phantoms-*, results to the folders the commands name. Runs are deterministic for a
# seed and a thread count; those with --threads 1 ran two at a time on the 2-core build machine.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export OPENBLAS_NUM_THREADS=1
swift build -c release --product isnetd
binary=$PWD/.build/release/isnetd
isnetd() { "$binary" "$@"; }
only=${1:-}
# run COMMAND...: runs COMMAND unless a pattern was given that its line does not contain; synth commands
# whose folder already holds a dataset are skipped.
run() {
  local line="$*"
  [[ -z "$only" || "$line" == *"$only"* ]] || return 0
  if [[ "$1" == synth && -e "$3/manifest.json" ]]; then
    echo "== $3 exists"
    return 0
  fi
  echo "== isnetd $line"
  isnetd "$@"
}

# The data: the default phantoms (every marker kind, bias strength 1), collimation only, and each
# without markers for the marker-free reference.
run synth --out /tmp/phantoms-big --counts train=1800,validation=300,test-biased=300,test-unbiased=300,test-confounding=300 --seed 7 --bias-strength 1
run synth --out /tmp/phantoms-big-free --counts train=1800,validation=300 --seed 7 --bias-strength 0 --bias-otherwise no-marker
run synth --out /tmp/phantoms-collimation --counts train=1800,validation=300,test-biased=300,test-unbiased=300,test-confounding=300 --seed 7 --bias-strength 1 --marker-kinds collimation
run synth --out /tmp/phantoms-collimation-free --counts train=1800,validation=300 --seed 7 --bias-strength 0 --bias-otherwise no-marker --marker-kinds collimation

# The runs, in the order docs/experiment/README.md reports them.
run experiment --data /tmp/phantoms-big --reference /tmp/phantoms-big-free --deep-supervision --out /tmp/exp-lds-all --threads 1
# docs/experiment holds that run's report, chart and heatmaps.
[[ -z "$only" ]] && cp /tmp/exp-lds-all/{results.md,results.json,chart.png,heatmaps.png} docs/experiment/
run experiment --data /tmp/phantoms-big --reference /tmp/phantoms-big-free --out /tmp/experiment-with-reference
run experiment --data /tmp/phantoms-collimation --reference /tmp/phantoms-collimation-free --out /tmp/experiment-collimation
run experiment --data /tmp/phantoms-big --variants selective --deep-supervision --heatmap-weight 0.9 --out /tmp/exp-lds-p09 --threads 1
run experiment --data /tmp/phantoms-big --variants selective --deep-supervision --heatmap-weight 0.8 --out /tmp/exp-lds-p08 --threads 1
run experiment --data /tmp/phantoms-big --variants selective --deep-supervision --background-decay 0.996 --out /tmp/exp-lds-d0996 --threads 1
run experiment --data /tmp/phantoms-big --variants selective --deep-supervision --background-scale 10 --out /tmp/exp-lds-e10 --threads 1
run experiment --data /tmp/phantoms-big --reference /tmp/phantoms-big-free --variants selective --deep-supervision --size 128 --out /tmp/exp-lds-s128 --threads 1
run experiment --data /tmp/phantoms-big --reference /tmp/phantoms-big-free --variants selective --deep-supervision --size 160 --out /tmp/exp-lds-s160 --threads 1
run experiment --data /tmp/phantoms-big --variants selective --deep-supervision --recipe authors --epochs 60 --out /tmp/exp-authors-lds --threads 1
run experiment --data /tmp/phantoms-big --reference /tmp/phantoms-big-free --backbone resnet --variants plain --variants selective --deep-supervision --out /tmp/exp-resnet-lds --threads 1
run experiment --data /tmp/phantoms-collimation --variants selective --variants stochastic --variants original --deep-supervision --out /tmp/exp-collimation-lds --threads 1
run experiment --data /tmp/phantoms-collimation --variants selective --out /tmp/exp-collimation-selective --threads 1
run experiment --data /tmp/phantoms-big --variants plain --variants selective --background-swap 1 --out /tmp/exp-swap-default --threads 1
run experiment --data /tmp/phantoms-collimation --variants plain --variants selective --background-swap 1 --out /tmp/exp-swap-collimation --threads 1
run experiment --data /tmp/phantoms-big --variants plain --variants selective --deep-supervision --background-invariance 1 --out /tmp/exp-invariance --threads 1
run experiment --data /tmp/phantoms-collimation --variants selective --deep-supervision --background-invariance 1 --out /tmp/exp-invariance-collimation --threads 1
run experiment --data /tmp/phantoms-big --variants plain --variants selective --deep-supervision --background-invariance 1 --freeze-batch-norm-after 5 --out /tmp/exp-invariance-frozen --threads 1
run experiment --data /tmp/phantoms-collimation --variants selective --deep-supervision --background-invariance 1 --freeze-batch-norm-after 5 --out /tmp/exp-invariance-frozen-collimation --threads 1
run experiment --data /tmp/phantoms-big --variants selective --deep-supervision --freeze-batch-norm-after 5 --out /tmp/exp-lds-frozen --threads 1
run experiment --data /tmp/phantoms-big --variants selective --deep-supervision --background-invariance 0.1 --freeze-batch-norm-after 5 --out /tmp/exp-invariance-frozen-01 --threads 1
run experiment --data /tmp/phantoms-collimation --variants selective --deep-supervision --background-invariance 0.1 --freeze-batch-norm-after 5 --out /tmp/exp-invariance-frozen-01-collimation --threads 1
run experiment --data /tmp/phantoms-big --variants selective --deep-supervision --background-invariance 1 --invariance-background swapped --freeze-batch-norm-after 5 --out /tmp/exp-swapped-invariance --threads 1
run experiment --data /tmp/phantoms-collimation --variants selective --deep-supervision --background-invariance 1 --invariance-background swapped --freeze-batch-norm-after 5 --out /tmp/exp-swapped-invariance-collimation --threads 1
run experiment --data /tmp/phantoms-big --variants plain --background-invariance 1 --invariance-background swapped --freeze-batch-norm-after 5 --out /tmp/exp-swapped-invariance-plain --threads 1
run experiment --data /tmp/phantoms-collimation --variants plain --background-invariance 1 --invariance-background swapped --freeze-batch-norm-after 5 --out /tmp/exp-swapped-invariance-plain-collimation --threads 1
run experiment --data /tmp/phantoms-big --reference /tmp/phantoms-big-free --variants plain --background-invariance 0.000001 --out /tmp/exp-blanking-sensitivity --threads 1
