#!/usr/bin/env python3
"""Print one file of a cpio "newc" archive (as scripts/lib/mkcpio.py writes).

    cpio-cat.py ARCHIVE PATH     print PATH's contents
    cpio-cat.py ARCHIVE          list every entry: mode, size, path
    cpio-cat.py ARCHIVE --programs   list the regular files with an
                                     execute bit (the only ones execve runs)
"""

import sys


def entries(data):
    off = 0
    while True:
        h = data[off:off + 110]
        if h[:6] != b"070701":
            sys.exit("not a newc cpio archive at offset %d" % off)
        mode = int(h[14:22], 16)
        size = int(h[54:62], 16)
        namesize = int(h[94:102], 16)
        name = data[off + 110:off + 110 + namesize - 1].decode()
        if name == "TRAILER!!!":
            return
        start = (off + 110 + namesize + 3) & ~3
        yield name, mode, data[start:start + size]
        off = (start + size + 3) & ~3


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    data = open(argv[1], "rb").read()
    for name, mode, body in entries(data):
        if len(argv) == 2:
            print("%06o %10d %s" % (mode, len(body), name))
        elif argv[2] == "--programs":
            if mode & 0o170000 == 0o100000 and mode & 0o111:
                print(name)
        elif name == argv[2]:
            sys.stdout.buffer.write(body)
            return
    if len(argv) == 3 and argv[2] != "--programs":
        sys.exit("%s is not in %s" % (argv[2], argv[1]))


if __name__ == "__main__":
    main(sys.argv)
