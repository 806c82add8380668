#!/bin/sh
# The README's main command: build ferrofuse and run one of libfuse's own
# examples on it, unmodified (libfuse's sources come from Debian's source
# package and stay outside the project's tracked files).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
./tools/setup.sh >/dev/null
make lib >/dev/null

cache=${FERROFUSE_CACHE:-$top/target/libfuse-src}/sid
mkdir -p "$cache"
(
    cd "$cache"
    exec 9>.lock
    flock 9
    ls -d fuse3-*/meson.build >/dev/null 2>&1 || apt-get source -q fuse3/sid >/dev/null 2>&1
)
src=$(ls -d "$cache"/fuse3-*/ | head -n1)
out=$top/target/demo
mkdir -p "$out"
cc -o "$out/hello_ll" "$src/example/hello_ll.c" \
    $(PKG_CONFIG_PATH=$top/build/pkgconfig pkg-config --cflags --libs fuse3)

echo "== libfuse's example/hello_ll.c ($(basename "$src")), built with ferrofuse's fuse3.pc:"
LD_LIBRARY_PATH=$top/build/lib ldd "$out/hello_ll" | grep libfuse3
echo "== hello_ll --version"
LD_LIBRARY_PATH=$top/build/lib "$out/hello_ll" --version || true
echo "== hello_ll --help"
LD_LIBRARY_PATH=$top/build/lib "$out/hello_ll" --help || true
