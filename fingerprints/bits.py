"""Hex hash strings <-> packed uint64 words, and Hamming distances.

A hash of ``bits`` bits is stored as ``bits // 64`` big-endian uint64 words (the first hex digit is the
most significant nibble of word 0), so the hex text and the packed words agree bit for bit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Words = npt.NDArray[np.uint64]


def words_per_hash(bits: int) -> int:
    """Number of uint64 words that hold a hash of ``bits`` bits (bits must be a multiple of 64)."""
    if bits <= 0 or bits % 64:
        raise ValueError(f"hash width must be a positive multiple of 64 bits, not {bits}")
    return bits // 64


def hex_to_words(hex_hash: str, bits: int) -> Words:
    """One hex hash -> 1-D array of uint64 words."""
    raw = bytes.fromhex(hex_hash)
    if len(raw) * 8 != bits:
        raise ValueError(f"expected {bits // 4} hex digits, got {len(hex_hash)}")
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64)


def hexes_to_words(hex_hashes: list[str], bits: int) -> Words:
    """Many hex hashes -> (n, words) uint64 array; each hash must already be normalised."""
    width = words_per_hash(bits)
    if not hex_hashes:
        return np.zeros((0, width), dtype=np.uint64)
    raw = bytes.fromhex("".join(hex_hashes))
    if len(raw) != len(hex_hashes) * bits // 8:
        raise ValueError(f"every hash must have exactly {bits // 4} hex digits")
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, width)


def words_to_hex(words: Words) -> str:
    """1-D array of uint64 words -> lower-case hex."""
    return words.astype(">u8").tobytes().hex()


def hamming_distance(a_hex: str, b_hex: str) -> int:
    """Hamming distance between two equal-length hex hashes."""
    if len(a_hex) != len(b_hex):
        raise ValueError("hashes of different lengths cannot be compared")
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


def popcount_rows(words: Words, query: Words) -> npt.NDArray[np.int64]:
    """Hamming distance of each row of ``words`` (n, w) to ``query`` (w,)."""
    total = np.zeros(words.shape[0], dtype=np.int64)
    for col in range(words.shape[1]):
        total += np.bitwise_count(words[:, col] ^ query[col])
    return total
