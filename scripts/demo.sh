#!/usr/bin/env bash
# The README's first command: builds isnetd in release mode and runs the daemon on the shipped
# default. `isnetd serve` starts on new temporary folders with the default model bundle, the files of
# samples/ are dropped into its inbox (each written under a dotfile name and renamed, as producers
# should), and once every file has ended (a report in the outbox, or quarantine for the deliberately
# truncated sample) the script prints one line per file and where everything is, then stops the daemon
# with SIGTERM. Last, the sample with a burned-in text marker under models/plain-shortcut.isnetd-model,
# a classifier that learned such markers, to show the shortcut checks firing. Not for clinical use.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export OPENBLAS_NUM_THREADS=1
swift build -c release --product isnetd
isnetd=$PWD/.build/release/isnetd
$isnetd --version
$isnetd self-check

work=$(mktemp -d /tmp/isnetd-demo-XXXXXX)
mkdir "$work/inbox"
echo
echo "== isnetd serve --inbox $work/inbox --outbox $work/outbox --state $work/state"
$isnetd serve --inbox "$work/inbox" --outbox "$work/outbox" --state "$work/state" --log stderr 2>"$work/daemon.log" &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q "serving " "$work/daemon.log" && break; sleep 0.1; done
grep -q "serving " "$work/daemon.log" || { cat "$work/daemon.log"; exit 1; }

samples=(samples/*.dcm)
for sample in "${samples[@]}"; do
  name=$(basename "$sample")
  cp "$sample" "$work/inbox/.$name.part"
  mv "$work/inbox/.$name.part" "$work/inbox/$name"
done
echo "dropped ${#samples[@]} files into the inbox; waiting for their reports"
# Every sample ends as a report (screened or not screened) or in quarantine (the truncated one).
ended() { echo $(( $(ls "$work/outbox"/*.json 2>/dev/null | wc -l) + $(ls "$work/state/quarantine"/*.error.json 2>/dev/null | wc -l) )); }
for _ in $(seq 1200); do [ "$(ended)" -ge ${#samples[@]} ] && break; sleep 0.1; done
[ "$(ended)" -ge ${#samples[@]} ] || { echo "not every file ended in time"; cat "$work/daemon.log"; exit 1; }

kill -TERM $daemon
wait $daemon
trap - EXIT
echo
echo "== isnetd status --state $work/state --inputs ${#samples[@]}"
$isnetd status --state "$work/state" --inputs ${#samples[@]}
echo
echo "reports (.json), pictures (.overlay.png) and lung masks (.mask.png): $work/outbox"
echo "inputs archived in $work/state/archive, the truncated sample with its .error.json in $work/state/quarantine"
echo "daemon log: $work/daemon.log; ledger: $work/state/ledger.sqlite"
echo
echo "== the text-marker sample under a model that learned the markers (models/plain-shortcut.isnetd-model)"
$isnetd classify samples/covid-19-pa-text-marker.dcm --model models/plain-shortcut.isnetd-model
echo "(phantoms, not patients: not for clinical use)"
