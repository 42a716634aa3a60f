"""Write cards/static/icon.png: the 100x100 opaque PNG the CDS Hooks spec recommends for `source.icon`."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def icon_png(size: int = 100) -> bytes:
    rows = []
    centre = (size - 1) / 2
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            # A white cell (ring) on a teal ground: no transparency, as the spec asks.
            d = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            if 24 <= d <= 34:
                row += bytes((255, 255, 255))
            elif d < 12:
                row += bytes((200, 230, 240))
            else:
                row += bytes((0, 105, 120))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "cards" / "static" / "icon.png"
    target.write_bytes(icon_png())
    print(target)
