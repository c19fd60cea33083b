"""A minimal MaxMind DB (v2) writer for tests: disjoint networks -> maps of strings and ints.

Enough of the format (search tree with 24-bit records, data section, metadata) for
`maxminddb` to read GeoLite2-shaped records; no overlap handling, no pointers in the data,
values under 285 bytes.
"""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path
from typing import Any

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"


def _control(type_number: int, size: int) -> bytes:
    if size >= 29 + 256:
        raise ValueError("test writer keeps values under 285 bytes/entries")
    size_bits, extra = (size, b"") if size < 29 else (29, bytes([size - 29]))
    if type_number <= 7:
        return bytes([(type_number << 5) | size_bits]) + extra
    return bytes([size_bits, type_number - 7]) + extra


def _uint(value: int, type_number: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    return _control(type_number, len(raw)) + raw


class UInt16(int):
    """An int the metadata must carry as uint16 (libmaxminddb checks the types)."""


class UInt64(int):
    pass


def encode(value: Any) -> bytes:
    if isinstance(value, UInt16):
        return _uint(value, 5)
    if isinstance(value, UInt64):
        return _uint(value, 9)
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, bool):
        raise TypeError("booleans are not needed here")
    if isinstance(value, int):
        return _uint(value, 6 if value < 2**32 else 9)
    if isinstance(value, dict):
        body = b"".join(encode(str(k)) + encode(v) for k, v in value.items())
        return _control(7, len(value)) + body
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(encode(v) for v in value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _bits(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[int]:
    if network.version == 4:  # IPv4 lives at ::a.b.c.d in an IPv6 tree
        address, length = int(network.network_address), network.prefixlen + 96
    else:
        address, length = int(network.network_address), network.prefixlen
    return [(address >> (127 - i)) & 1 for i in range(length)]


def write_mmdb(path: Path, records: dict[str, dict[str, Any]], database_type: str = "Test-DB") -> Path:
    """Write `records` ({"5.2.128.0/17": {...}}) as an IPv6 MaxMind DB at `path`."""
    nodes: list[list[Any]] = [[None, None]]
    data = b""
    for cidr, record in records.items():
        offset, data = len(data), data + encode(record)
        bits = _bits(ipaddress.ip_network(cidr))
        node = 0
        for bit in bits[:-1]:
            if nodes[node][bit] is None:
                nodes.append([None, None])
                nodes[node][bit] = ("node", len(nodes) - 1)
            node = nodes[node][bit][1]
        nodes[node][bits[-1]] = ("data", offset)
    count = len(nodes)

    def value(entry: Any) -> int:
        if entry is None:
            return count  # "no data"
        kind, number = entry
        return number if kind == "node" else count + 16 + number

    tree = b"".join(struct.pack(">I", value(left))[1:] + struct.pack(">I", value(right))[1:]
                    for left, right in nodes)
    metadata = {
        "node_count": count, "record_size": UInt16(24), "ip_version": UInt16(6),
        "database_type": database_type, "languages": ["en"], "binary_format_major_version": UInt16(2),
        "binary_format_minor_version": UInt16(0), "build_epoch": UInt64(1_700_000_000),
        "description": {"en": "hotline test database"},
    }
    path.write_bytes(tree + b"\x00" * 16 + data + METADATA_MARKER + encode(metadata))
    return path
