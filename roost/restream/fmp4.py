"""Fragmented MP4 for the browser player (pure): splitting ffmpeg's output into boxes and
the `codecs` string Media Source Extensions need, read from the init segment."""

from __future__ import annotations

import struct

HEADER = 8


def box_size(header: bytes) -> tuple[int, bytes, int]:
    """(size of the whole box, its type, header length) from its first 8 or 16 bytes.
    A size of 1 means a 64-bit size follows; 0 ("to the end of the file") is refused: a
    live stream has no end."""
    size, kind = struct.unpack(">I4s", header[:8])
    if size == 1:
        if len(header) < 16:
            raise ValueError("64-bit box size needs 16 header bytes")
        return struct.unpack(">Q", header[8:16])[0], kind, 16
    if size < HEADER:
        raise ValueError(f"box {kind!r} has an invalid size {size}")
    return size, kind, HEADER


def codecs_string(init_segment: bytes) -> str | None:
    """The RFC 6381 codec of the first video track: `avc1.PPCCLL` from the avcC box, or
    `hvc1.<profile>.<compat>.<tier><level>` from hvcC. None: neither found."""
    at = init_segment.find(b"avcC")
    if at >= 0 and len(init_segment) >= at + 8:
        profile, compat, level = init_segment[at + 5], init_segment[at + 6], init_segment[at + 7]
        return f"avc1.{profile:02x}{compat:02x}{level:02x}"
    at = init_segment.find(b"hvcC")
    if at >= 0 and len(init_segment) >= at + 4 + 13:
        data = init_segment[at + 4:]
        space_tier_profile = data[1]
        profile = space_tier_profile & 0x1F
        tier = "H" if space_tier_profile & 0x20 else "L"
        compat = int.from_bytes(data[2:6], "big")
        reversed_compat = int(f"{compat:032b}"[::-1], 2)
        level = data[12]
        return f"hvc1.{profile}.{reversed_compat:x}.{tier}{level}.B0"
    return None


def mime_type(init_segment: bytes) -> str | None:
    codec = codecs_string(init_segment)
    return f'video/mp4; codecs="{codec}"' if codec else None
