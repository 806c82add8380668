#!/bin/sh
# The README's main command: build ferrofuse, then mount one of libfuse's own
# examples on it, unmodified: passthrough_ll serving a scratch directory.
# (libfuse's sources come from Debian's source package and stay outside the
# project's tracked files.)
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
cc -o "$out/passthrough_ll" "$src/example/passthrough_ll.c" \
    $(PKG_CONFIG_PATH=$top/build/pkgconfig pkg-config --cflags --libs fuse3)

echo "== libfuse's example/passthrough_ll.c ($(basename "$src")), built with ferrofuse's fuse3.pc:"
LD_LIBRARY_PATH=$top/build/lib ldd "$out/passthrough_ll" | grep libfuse3

work=$(mktemp -d)
mkdir "$work/src" "$work/mnt"
echo "hello from the backing directory" > "$work/src/greeting"
cleanup() {
    fusermount3 -u "$work/mnt" 2>/dev/null || umount -l "$work/mnt" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
LD_LIBRARY_PATH=$top/build/lib "$out/passthrough_ll" -o source="$work/src" "$work/mnt"
echo "== mounted: $(grep " $work/mnt " /proc/mounts)"
echo "== ls mnt:"; ls -l "$work/mnt"
echo "== cat mnt/greeting: $(cat "$work/mnt/greeting")"
echo "written through ferrofuse" > "$work/mnt/new-file"
echo "== src/new-file (written through the mount): $(cat "$work/src/new-file")"
fusermount3 -u "$work/mnt"
echo "== unmounted"
