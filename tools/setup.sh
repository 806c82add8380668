#!/bin/sh
# One-time machine set-up for building and testing ferrofuse (run as root).
# Installs what the build and the tests use from Debian's packages, and adds
# the deb-src entries from which the tests fetch libfuse's own sources.
set -eu

src=/etc/apt/sources.list.d/ferrofuse-libfuse-src.sources
if ! grep -qs 'deb-src' "$src"; then
    cat > "$src" <<'EOS'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
    need_update=1
fi

pkgs="build-essential pkg-config meson ninja-build dpkg-dev fuse3 libfuse3-dev \
      python3 python3-pytest liburing-dev libnuma-dev fuse-overlayfs fio python3-matplotlib \
      stress-ng valgrind e2fsprogs libcap2-bin"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ] || [ -n "${need_update:-}" ]; then
    apt-get update -q
fi
if [ -n "$missing" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi

# FUSE over io-uring is off until the module parameter says otherwise.
if [ -w /sys/module/fuse/parameters/enable_uring ]; then
    echo Y > /sys/module/fuse/parameters/enable_uring || true
fi
echo "ferrofuse: machine set up"
