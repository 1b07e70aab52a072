#!/usr/bin/env python3
"""Writes one malicious cookbook tarball (a test FIXTURE; roux never makes these).

Usage: evil_archive.py KIND OUT.tar.gz OUTSIDE_DIR
KIND: absolute | dotdot | symlink_escape | device | fifo | many_entries | zero_bomb
Every archive starts with a valid metadata.yaml and recipe, so only the malice is refused.
OUTSIDE_DIR is where an escaping entry would land if the unpacker let it.
"""
import gzip
import io
import sys
import tarfile
import zlib

kind, out, outside = sys.argv[1], sys.argv[2], sys.argv[3]


def info(name, type=tarfile.REGTYPE, size=0, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.size, ti.linkname, ti.mode, ti.mtime = type, size, linkname, 0o644, 0
    return ti


def base(tf):
    for name, data in (("metadata.yaml", b"name: evil\nversion: 1.0.0\n"),
                       ("recipes/default.yaml", b"resources: []\n")):
        tf.addfile(info(name, size=len(data)), io.BytesIO(data))


if kind == "zero_bomb":
    # A 10 GiB zero-filled file, streamed: the tar header, then the same gzip member of 1 MiB of
    # zeros repeated 10240 times (concatenated gzip members form one valid stream), then the end.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        base(tf)
    head = buf.getvalue().rstrip(b"\0")
    head += b"\0" * (-len(head) % 512)
    head += info("files/zeros", size=10 << 30).tobuf(format=tarfile.GNU_FORMAT)
    member = gzip.compress(b"\0" * (1 << 20), mtime=0)
    with open(out, "wb") as f:
        f.write(gzip.compress(head, mtime=0))
        for _ in range(10240):
            f.write(member)
        f.write(gzip.compress(b"\0" * 1024, mtime=0))
    sys.exit(0)

with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tf:
    base(tf)
    if kind == "absolute":
        tf.addfile(info(outside + "/abs.txt", size=4), io.BytesIO(b"evil"))
    elif kind == "dotdot":
        depth = "../" * 12
        tf.addfile(info("files/" + depth + outside.lstrip("/") + "/dotdot.txt", size=4), io.BytesIO(b"evil"))
    elif kind == "symlink_escape":
        tf.addfile(info("files/out", tarfile.SYMTYPE, linkname=outside))
        tf.addfile(info("files/out/through.txt", size=4), io.BytesIO(b"evil"))
    elif kind == "symlink_write_through":
        tf.addfile(info("files/d", tarfile.SYMTYPE, linkname=".."))
        tf.addfile(info("files/d/through.txt", size=4), io.BytesIO(b"evil"))
    elif kind == "symlink_relative_escape":
        tf.addfile(info("files/up", tarfile.SYMTYPE, linkname="../../../../../../../../.." + outside))
    elif kind == "hardlink_escape":
        tf.addfile(info("files/h", tarfile.LNKTYPE, linkname="/etc/passwd"))
    elif kind == "device":
        ti = info("files/null", tarfile.CHRTYPE)
        ti.devmajor, ti.devminor = 1, 3
        tf.addfile(ti)
    elif kind == "fifo":
        tf.addfile(info("files/pipe", tarfile.FIFOTYPE))
    elif kind == "many_entries":
        empty = io.BytesIO(b"")
        for i in range(100000):
            tf.addfile(info("files/f%06d" % i), empty)
    else:
        sys.exit("unknown kind " + kind)
