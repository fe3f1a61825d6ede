#!/usr/bin/env bash
# The tests compile C workloads, compare images with CRIU's own crit, lock TCP connections with
# nftables and iptables (the network lock), and check the arm and ppc64le tables against Debian's
# cross kernel headers. Install what is missing (as root).
set -euo pipefail
packages=(gcc libc6-dev criu nftables iptables linux-libc-dev-arm64-cross linux-libc-dev-armhf-cross linux-libc-dev-ppc64el-cross)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
