#!/bin/sh
# Installs what fntrace needs to build and to run its tests, from Debian's archive (bzip2:
# test_fast.py; uftrace: bench/fast.py), and the programs its exports are opened in (tests/node:
# speedscope, Chrome's trace engine) from npm.
set -e
PKGS="build-essential gcc g++ clang make pkg-config libelf-dev libdw-dev libzydis-dev libcmocka-dev \
libiberty-dev python3 python3-pytest python3-pytest-xdist tmux time chromium rustc golang-go musl-tools \
gdb tcl8.6 xz-utils libpcre2-8-0 binutils libc6-dbg \
bzip2 uftrace libncurses-dev"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
# node 18 (Debian 12's) or later; a node already installed is kept.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	PKGS="$PKGS nodejs npm"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $PKGS
# The versions package-lock.json pins, into tests/node/node_modules.
cd "$(dirname "$0")/../tests/node"
npm ci --no-audit --no-fund
