#!/bin/sh
# Installs what fntrace needs to build and to run its tests (bzip2: test_fast.py; uftrace: bench/fast.py), from Debian's archive.
set -e
PKGS="build-essential gcc g++ clang make pkg-config libelf-dev libdw-dev libzydis-dev libcmocka-dev \
libiberty-dev python3 python3-pytest tmux time chromium rustc golang-go musl-tools \
gdb tcl8.6 xz-utils libpcre2-8-0 binutils libc6-dbg \
bzip2 uftrace"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $PKGS
