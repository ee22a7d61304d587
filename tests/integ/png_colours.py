#!/usr/bin/env python3
# png_colours.py PNG: prints "COLOURS TOP_SHARE" of an 8-bit RGB(A) PNG,
# the number of distinct colours and the share (0..1) of the commonest:
# a blank page is 1 colour with share 1.  Standard library only (zlib);
# used by tests/integ/observe_see.t on chromium's screenshots.
import struct
import sys
import zlib
from collections import Counter


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def rows(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = hdr[0], hdr[1], hdr[2], hdr[3]
    if depth != 8 or ctype not in (2, 6) or hdr[6]:
        raise ValueError("want 8-bit RGB or RGBA, not interlaced")
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev = zlib.decompress(idat), w * bpp, bytearray(w * bpp)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            c = prev[i - bpp] if i >= bpp else 0
            b = prev[i]
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 255
        yield bytes(line), bpp
        prev = line


def main():
    counts = Counter()
    for line, bpp in rows(sys.argv[1]):
        counts.update(line[i:i + 3] for i in range(0, len(line), bpp))
    total = sum(counts.values())
    print(len(counts), "%.4f" % (counts.most_common(1)[0][1] / total))


if __name__ == "__main__":
    main()
