#!/bin/sh
# Configure libfuse's own example/ and test/ (unmodified) to build against
# ferrofuse with meson.
#
#   meson-compat/setup.sh <libfuse-src-dir> <builddir> [ferrofuse-lib-dir] [meson setup options...]
#   ninja -C <builddir>
#
# <libfuse-src-dir>    an unpacked libfuse source tree (3.14.x to 3.18.x)
# <builddir>           the meson build dir; the source dir it is configured
#                      from is assembled beside it, in <builddir>.src
# [ferrofuse-lib-dir]  the directory holding ferrofuse's libfuse3.so, with
#                      fuse3.pc in <dir>/pkgconfig or <dir>/../pkgconfig
#                      (default: build/lib of this checkout, made by `make`)
# Further arguments go to `meson setup`, e.g. -Denable-custom-io=true to get
# 3.18's hello_ll_uds, --buildtype=debug.
set -eu

die() { echo "meson-compat/setup.sh: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 <libfuse-src-dir> <builddir> [ferrofuse-lib-dir] [meson setup options...]"
here=$(cd "$(dirname "$0")" && pwd)
src=$(realpath "$1") || die "no such dir: $1"
build=$(realpath -m "$2")
shift 2
libdir=$(dirname "$here")/build/lib
if [ $# -gt 0 ]; then
    case $1 in
        -*) ;;
        *) libdir=$1; shift ;;
    esac
fi
libdir=$(realpath "$libdir") || die "no such dir: $libdir"

[ -f "$src/example/meson.build" ] || die "$src has no example/meson.build: not a libfuse tree"
[ -f "$src/include/fuse_kernel.h" ] || die "$src has no include/fuse_kernel.h"
[ -e "$libdir/libfuse3.so" ] || die "$libdir/libfuse3.so missing (run make, or give ferrofuse's lib dir)"
pcdir=
for d in "$libdir/pkgconfig" "$(dirname "$libdir")/pkgconfig"; do
    if [ -f "$d/fuse3.pc" ]; then pcdir=$d; break; fi
done
[ -n "$pcdir" ] || die "no fuse3.pc in $libdir/pkgconfig or $(dirname "$libdir")/pkgconfig"
grep -q "^Description:.*ferrofuse" "$pcdir/fuse3.pc" ||
    echo "meson-compat/setup.sh: note: $pcdir/fuse3.pc is not ferrofuse's; building against it anyway" >&2

# The shadow source dir: our build files and links into libfuse's tree.
shadow=$build.src
mkdir -p "$shadow/lib" "$shadow/intree/kernel" "$shadow/intree/private"
ln -sfn "$here/meson.build" "$shadow/meson.build"
ln -sfn "$here/meson_options.txt" "$shadow/meson_options.txt"
ln -sfn "$here/lib/meson.build" "$shadow/lib/meson.build"
ln -sfn "$src/example" "$shadow/example"
if [ -f "$src/test/meson.build" ]; then
    ln -sfn "$src/test" "$shadow/test"
else
    rm -f "$shadow/test"
    set -- -Dtests=false "$@"
fi
# util/ builds fusermount3 from libfuse's own helper sources next to it.
ln -sfn "$src/util" "$shadow/util"
for c in mount_util.c fuse_log.c util.c; do
    if [ -e "$src/lib/$c" ]; then ln -sfn "$src/lib/$c" "$shadow/lib/$c"; fi
done
ln -sfn "$src/include/fuse_kernel.h" "$shadow/intree/kernel/fuse_kernel.h"
find "$shadow/intree/private" -mindepth 1 -delete
for h in "$src"/lib/*.h "$src"/include/fuse_mount_compat.h; do
    [ -e "$h" ] && ln -s "$h" "$shadow/intree/private/"
done

if [ -f "$build/meson-private/coredata.dat" ]; then
    set -- --reconfigure "$@"
fi
exec meson setup "$build" "$shadow" \
    -Dferrofuse_libdir="$libdir" -Dpkg_config_path="$pcdir" "$@"
