#!/usr/bin/env bash
# Installs isnetd as a systemd service: binary, default model bundle, units, sysusers and tmpfiles entries, the
# DICOM ingress handoff, and the configuration. Steps and paths: systemd/README.md.
#
#   scripts/install.sh [--binary FILE] [--root DIR] [--enable]
#
#   --binary FILE  install this isnetd executable; without it the release build is made here first
#                  (swift build -c release --product isnetd).
#   --root DIR     install into DIR instead of / (a scratch root for checking; nothing outside DIR is touched).
#   --enable       enable isnetd.service, isnetd-storescp.service and isnetd-retrain.timer (and start them when installing into the
#                  running system).
#
# Run as root. Installing again updates binaries, units and docs but keeps an existing /etc/isnetd/isnetd.conf.
set -euo pipefail

usage() {
  sed -n 's/^#   //p' "$0" >&2
  exit 64
}

repository=$(cd "$(dirname "$0")/.." && pwd)
root=/
binary=
enable=no
while (($#)); do
  case $1 in
    --binary) (($# >= 2)) || usage; binary=$2; shift 2 ;;
    --root) (($# >= 2)) || usage; root=$2; shift 2 ;;
    --enable) enable=yes; shift ;;
    *) usage ;;
  esac
done

if [[ ! -d $root ]]; then
  echo "install.sh: root $root is not a directory" >&2
  exit 66
fi
root=$(cd "$root" && pwd)
# Every destination below is "$prefix/absolute/path"; for / the prefix is empty, not "/" (no "//usr").
prefix=${root%/}

if [[ -z $binary ]]; then
  (cd "$repository" && swift build -c release --product isnetd)
  binary="$(cd "$repository" && swift build -c release --show-bin-path)/isnetd"
fi
if [[ ! -x $binary ]]; then
  echo "install.sh: $binary is not an executable file" >&2
  exit 66
fi

install -D -m 0755 "$binary" "$prefix/usr/local/bin/isnetd"
# Beside the binary's ../share, where isnetd finds its default model without --model.
model_folder="$prefix/usr/local/share/isnetd/models/default.isnetd-model"
rm -rf "$model_folder"
install -d -m 0755 "$model_folder"
install -m 0644 "$repository"/models/default.isnetd-model/* "$model_folder/"
install -D -m 0755 "$repository/scripts/isnetd-ingress-handoff" "$prefix/usr/local/lib/isnetd/isnetd-ingress-handoff"
# The administrator's units folder for locally built software; drop-ins still go to /etc/systemd/system/*.d/.
for unit in isnetd.service isnetd-storescp.service isnetd-retrain.service isnetd-retrain.timer; do
  install -D -m 0644 "$repository/systemd/$unit" "$prefix/usr/local/lib/systemd/system/$unit"
done
install -D -m 0644 "$repository/systemd/isnetd.sysusers" "$prefix/usr/lib/sysusers.d/isnetd.conf"
install -D -m 0644 "$repository/systemd/isnetd.tmpfiles" "$prefix/usr/lib/tmpfiles.d/isnetd.conf"
install -D -m 0644 "$repository/systemd/README.md" "$prefix/usr/local/share/doc/isnetd/systemd.md"

# The configuration is the administrator's once installed: never replaced, the shipped one goes beside it.
config="$prefix/etc/isnetd/isnetd.conf"
if [[ -f "$repository/systemd/isnetd.conf" ]]; then
  if [[ -e $config ]]; then
    install -D -m 0644 "$repository/systemd/isnetd.conf" "$config.dist"
    echo "install.sh: kept $config; the shipped configuration is $config.dist" >&2
  else
    install -D -m 0644 "$repository/systemd/isnetd.conf" "$config"
  fi
fi

# Users first: tmpfiles resolves the owners of /srv/isnetd/* from the root's /etc/passwd and /etc/group.
mkdir -p "$prefix/etc"
systemd-sysusers --root="$root" isnetd.conf
systemd-tmpfiles --create --root="$root" isnetd.conf

# A running systemd (PID 1) reloads only when the install went into the live system.
live=no
if [[ $root == / && -d /run/systemd/system ]]; then
  live=yes
  systemctl daemon-reload
fi
if [[ $enable == yes ]]; then
  if [[ $live == yes ]]; then
    systemctl enable --now isnetd.service isnetd-storescp.service isnetd-retrain.timer
  else
    systemctl --root="$root" enable isnetd.service isnetd-storescp.service isnetd-retrain.timer
  fi
fi
