"""Minimal PNG writer: 8-bit gray (colour type 0) or 8-bit RGB (colour type 2).

Pure standard library so the sample generators need no PIL. Output is a pure
function of the pixels (no timestamps or text chunks, filter 0 on every row,
zlib level 9), so regenerating a set gives byte-identical files.
"""
import struct
import zlib


def _chunk(kind, data):
    # The CRC covers the chunk type and data, not the length.
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def write_png(path, width, height, pixels, channels):
    """pixels: flat row-major sequence of ints 0..255, channels 1 (gray) or 3 (RGB)."""
    colour_type = {1: 0, 3: 2}[channels]
    stride = width * channels
    data = bytes(pixels)
    if len(data) != stride * height:
        raise ValueError(f"{path}: expected {stride * height} samples, got {len(data)}")
    # Each scanline is prefixed with its filter byte (0 = None).
    raw = b"".join(b"\x00" + data[y * stride:(y + 1) * stride] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
                + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))
