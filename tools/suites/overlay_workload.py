#!/usr/bin/env python3
"""File-system workload of ferrofuse's fuse-overlayfs test
(tests/libfuse_suites.rs). The test runs it, each step under `timeout`, on a
fuse-overlayfs mount and on a plain copy of the same tree; the two must end
up identical.

  overlay_workload.py apply <root> <seed>   copy <seed> into <root>/copied,
                                            modify, rename, set and remove
                                            user.* xattrs, delete; prints
                                            "deleted <path>" for every path
                                            of the original tree it removed
  overlay_workload.py manifest <root>       one line per entry, sorted:
                                            path, type, mode, size, sha256
                                            or link target, user.* xattrs

<root> holds the tree the test generated: base/dNN/sNN/fNNN.bin files,
base/big*.bin, and base/links/.
"""

import hashlib
import os
import shutil
import stat
import sys


def data(seed, size):
    """Deterministic bytes, different for every seed."""
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:size])


def files_under(root, rel):
    found = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, rel)):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.isfile(path) and not os.path.islink(path):
                found.append(os.path.relpath(path, root))
    return found


def apply(root, seed):
    # 1. Copy a whole tree in (new files only in the upper layer).
    shutil.copytree(seed, os.path.join(root, 'copied'), symlinks=True)

    base = files_under(root, 'base')
    copied = files_under(root, 'copied')
    assert len(base) > 100 and len(copied) > 50, (len(base), len(copied))
    # Files outside the two directories renamed and removed below.
    stable = [r for r in base
              if not r.startswith(('base/d01/', 'base/d03/'))]

    # 2. Modify files of both layers: append, overwrite in the middle,
    # truncate, rewrite whole (copy-up of lower files).
    for i, rel in enumerate(base + copied):
        path = os.path.join(root, rel)
        kind = i % 11
        if kind == 0:
            with open(path, 'ab') as fh:
                fh.write(data('append' + rel, 3000))
        elif kind == 3:
            with open(path, 'r+b') as fh:
                size = os.fstat(fh.fileno()).st_size
                fh.seek(size // 2)
                fh.write(data('middle' + rel, 777))
        elif kind == 5:
            os.truncate(path, os.stat(path).st_size // 3)
        elif kind == 7:
            with open(path, 'wb') as fh:
                fh.write(data('rewrite' + rel, 5000 + i))
    big = os.path.join(root, 'base', 'big0.bin')
    with open(big, 'r+b') as fh:
        fh.seek(1 << 19)
        fh.write(data('big-middle', 1 << 16))
    os.chmod(os.path.join(root, stable[1]), 0o600)

    # 3. Renames: a lower file within its dir and across dirs, a new file,
    # and a whole lower directory (fuse-overlayfs copies it up).
    os.rename(os.path.join(root, stable[2]),
              os.path.join(root, stable[2] + '.renamed'))
    os.rename(os.path.join(root, stable[4]),
              os.path.join(root, 'copied', 'moved-from-base.bin'))
    os.rename(os.path.join(root, copied[0]),
              os.path.join(root, 'base', 'moved-from-copied.bin'))
    shutil.move(os.path.join(root, 'base', 'd01'),
                os.path.join(root, 'base', 'd01-renamed'))

    # 4. xattrs (user.*) on lower and new files and on directories.
    targets = [stable[10], stable[20], copied[5], 'base/d02', 'copied']
    for n, rel in enumerate(targets):
        path = os.path.join(root, rel)
        os.setxattr(path, 'user.ferrofuse.a', data('xa' + rel, 16 + n))
        os.setxattr(path, 'user.ferrofuse.b', b'value-%d' % n)
    os.removexattr(os.path.join(root, targets[0]), 'user.ferrofuse.b')
    for rel in targets:
        got = os.getxattr(os.path.join(root, rel), 'user.ferrofuse.a')
        assert got == data('xa' + rel, 16 + targets.index(rel)), rel

    # 5. Deletes: lower files (whiteouts), a lower directory tree, a new file.
    deleted = [stable[30], stable[31], 'base/d03']
    for rel in deleted[:2]:
        os.unlink(os.path.join(root, rel))
    shutil.rmtree(os.path.join(root, 'base', 'd03'))
    os.unlink(os.path.join(root, copied[7]))

    # 6. New names: a symlink, a hard link, a directory.
    os.symlink('../' + stable[40], os.path.join(root, 'copied', 'link-to-base'))
    os.link(os.path.join(root, copied[8]),
            os.path.join(root, 'copied', 'hardlink.bin'))
    os.makedirs(os.path.join(root, 'base', 'd00', 'new', 'deeper'))
    for rel in deleted:
        print('deleted', rel)


def manifest(root):
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            mode = oct(stat.S_IMODE(st.st_mode))
            if stat.S_ISLNK(st.st_mode):
                what = 'l ' + os.readlink(path)
            elif stat.S_ISDIR(st.st_mode):
                what = 'd'
            elif stat.S_ISREG(st.st_mode):
                with open(path, 'rb') as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
                what = f'f {st.st_size} {digest}'
            else:
                what = f'other {st.st_mode:o}'
            xattrs = ''
            if not stat.S_ISLNK(st.st_mode):
                names = sorted(n for n in os.listxattr(path)
                               if n.startswith('user.ferrofuse.'))
                xattrs = ' '.join(
                    f'{n}={os.getxattr(path, n).hex()}' for n in names)
            lines.append(f'{rel} {mode} {what} {xattrs}'.rstrip())
    print('\n'.join(lines))


def main(argv):
    if len(argv) == 4 and argv[1] == 'apply':
        apply(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == 'manifest':
        manifest(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
