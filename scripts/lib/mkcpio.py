#!/usr/bin/env python3
"""Write a directory tree as a reproducible initramfs (cpio "newc").

    mkcpio.py STAGING_DIR OUTPUT [--node PATH:c:MAJOR:MINOR:MODE ...]

Reproducible: entries in byte order of their paths, every mtime the same
(SOURCE_DATE_EPOCH, else 0), owner and group 0, inode numbers counted from
1, modes normalised (directories 0755, files 0755 if executable by their
owner on disk, else 0644). Symlinks are refused (the image has none).
The same tree gives the same bytes on any machine, whatever the files'
times, owners and inode numbers there. Uncompressed: the kernel reads it
as is, and no compressor's version enters the image.
"""

import os
import stat
import sys

MAGIC = b"070701"
TRAILER = "TRAILER!!!"


def header(ino, mode, nlink, mtime, size, name, rdev=(0, 0)):
    fields = [ino, mode, 0, 0, nlink, mtime, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    return MAGIC + b"".join(b"%08X" % f for f in fields)


def pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def entry(out, ino, mode, nlink, mtime, name, data=b"", rdev=(0, 0)):
    raw = header(ino, mode, nlink, mtime, len(data), name, rdev) + name.encode() + b"\0"
    out.write(raw + pad(len(raw)))
    out.write(data + pad(len(data)))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    root, output = argv[1], argv[2]
    nodes = []
    rest = argv[3:]
    while rest:
        if rest[0] != "--node" or len(rest) < 2:
            sys.exit("unexpected argument %r\n%s" % (rest[0], __doc__))
        path, kind, major, minor, mode = rest[1].split(":")
        if kind != "c":
            sys.exit("only character devices (c) are supported: %r" % rest[1])
        nodes.append((path.strip("/"), int(major), int(minor), int(mode, 8)))
        rest = rest[2:]

    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            full = os.path.join(dirpath, n)
            paths.append(os.path.relpath(full, root))
    items = [(p, None) for p in paths] + [(n[0], n) for n in nodes]
    items.sort(key=lambda i: i[0].encode())

    with open(output, "wb") as out:
        for ino, (rel, node) in enumerate(items, start=1):
            if node is not None:
                _, major, minor, perm = node
                entry(out, ino, stat.S_IFCHR | perm, 1, mtime, rel, rdev=(major, minor))
                continue
            st = os.lstat(os.path.join(root, rel))
            if stat.S_ISDIR(st.st_mode):
                entry(out, ino, stat.S_IFDIR | 0o755, 2, mtime, rel)
            elif stat.S_ISREG(st.st_mode):
                perm = 0o755 if st.st_mode & stat.S_IXUSR else 0o644
                with open(os.path.join(root, rel), "rb") as f:
                    data = f.read()
                entry(out, ino, stat.S_IFREG | perm, 1, mtime, rel, data)
            else:
                sys.exit("%s: only directories and regular files go in the image" % rel)
        entry(out, 0, 0, 1, 0, TRAILER)


if __name__ == "__main__":
    main(sys.argv)
