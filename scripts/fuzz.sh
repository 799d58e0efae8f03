#!/usr/bin/env bash
# Runs one libFuzzer target of isnetd for SECONDS seconds:
#
#   scripts/fuzz.sh dicom|safetensors|checkpoint|bundle SECONDS
#
# Builds `isnetd-fuzz` with -sanitize=fuzzer,address (release, in $ISNETD_FUZZ_BUILD, .build/fuzz by default: AddressSanitizer and
# LeakSanitizer intercept every allocation, the C libraries' too), writes the target's seeds with the
# tests' own file generators, and fuzzes with the bars of the hostile-input issue: a run over 5 s or
# over 1 GB resident is a finding, like a crash, a memory error or a leak. The corpus grows in
# $ISNETD_FUZZ_DIR/TARGET/corpus (default .build/fuzz-work) across runs; findings land in
# .../findings. Replay one with `ISNETD_FUZZ_TARGET=TARGET .build/debug/isnetd-fuzz FILE`.
# Exits non-zero when libFuzzer found something.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh dicom|safetensors|checkpoint|bundle SECONDS}
seconds=${2:?usage: scripts/fuzz.sh dicom|safetensors|checkpoint|bundle SECONDS}
# Swift's backtracer would catch a crash before libFuzzer saves the input that caused it.
# A small quarantine keeps AddressSanitizer's own memory from counting against the 1 GB bar.
export OPENBLAS_NUM_THREADS=1 ISNETD_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=32}

work=${ISNETD_FUZZ_DIR:-.build/fuzz-work}/$target
build=${ISNETD_FUZZ_BUILD:-.build/fuzz}  # another folder lets runs of a changed tree go on beside older ones
rm -rf "$work/seeds"
mkdir -p "$work/seeds" "$work/corpus" "$work/findings"
swift build --product isnetd-fuzz
.build/debug/isnetd-fuzz --write-seeds "$work/seeds"
swift build -c release --product isnetd-fuzz --scratch-path "$build" -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING

echo "fuzzing $target for $seconds s: corpus $work/corpus, findings $work/findings"
"$build/release/isnetd-fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=1024 \
  -print_final_stats=1 -artifact_prefix="$work/findings/" "$work/corpus" "$work/seeds"
