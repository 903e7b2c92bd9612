"""Placeholder ID photo and signature images for demo data, drawn as PNG with the standard
library only (real uploads arrive with 入库登记)."""
from __future__ import annotations

import math
import struct
import zlib


def _png(width: int, height: int, pixel) -> bytes:
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def id_photo(width: int = 360, height: int = 504) -> bytes:
    """A light-blue background with a grey head-and-shoulders silhouette (5:7 portrait)."""
    cx, head_cy, head_r = width / 2, height * 0.38, width * 0.2

    def pixel(x, y):
        in_head = (x - cx) ** 2 + ((y - head_cy) * 0.85) ** 2 < head_r ** 2
        shoulders = y > height * 0.66 and abs(x - cx) < width * 0.42 - (height - y) * 0.35
        return (120, 120, 130) if in_head or shoulders else (214, 232, 250)

    return _png(width, height, pixel)


def signature(width: int = 360, height: int = 120) -> bytes:
    """Dark strokes on white, wider than tall."""
    def pixel(x, y):
        curve = height / 2 + math.sin(x / 17) * height / 5 + math.sin(x / 5) * 6
        return (20, 20, 40) if abs(y - curve) < 2.5 and 20 < x < width - 20 else (255, 255, 255)

    return _png(width, height, pixel)
