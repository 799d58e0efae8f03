#!/usr/bin/env bash
# Installs the system libraries isnetd builds and runs against (Debian 12).
# Idempotent: when every package is already installed it returns at once without touching apt.
set -euo pipefail

packages=(
  libtorch-dev        # tensors, autograd, convolutions (the engine's arithmetic)
  libdcmtk-dev dcmtk  # DICOM parsing and decoding; CLI tools generate test fixtures
  libopenjp2-7-dev    # JPEG 2000 frames, which DCMTK's free toolkit cannot decode
  libopenjp2-tools    # opj_compress/opj_decompress: JPEG 2000 test fixtures and the decode benchmark
  libcharls-dev       # JPEG-LS frames (CharLS 2; DCMTK's embedded CharLS 1.0 aborts on damaged data)
  zlib1g-dev          # inflating deflated datasets before they are parsed
  time                # /usr/bin/time: peak memory of the reference tools in the decode benchmark
  python3-venv python3-pip  # pydicom reference values for the DICOM tests (scripts/pydicom_reference.py)
  libpng-dev          # heatmap PNGs
  libsystemd-dev      # sd_notify, sd_journal_sendv
  libsqlite3-dev      # the daemon's ledger (GRDB over SQLite)
  systemd             # journald for tests, systemd-analyze for unit checks
  pkg-config
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "isnetd setup: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "isnetd setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
