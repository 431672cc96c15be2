"""QR symbols, fast: the ``qrcode`` library's symbol, built without its per-bit and per-module Python loops.

``qrcode`` is pure Python and spends about 6 ms on a 57-character URI: it writes the bit stream one bit at a time,
divides polynomials for Reed-Solomon, and places and scores eight full trial symbols to choose the mask pattern.
This module takes from the library what is fixed per version (the data segmentation, the function patterns, the
format and version bits, the RS block table, the GF(256) tables and the penalty rules) and builds the same symbol
with rows kept as integers: a bit stream in one integer, table-driven Reed-Solomon, data modules placed once, the
eight masks applied by XOR and scored with regular expressions and bit counts. About 1 ms per code; tests check
it produces exactly the library's symbol (same version, codewords, mask and format bits) for arbitrary data.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final

import qrcode  # type: ignore[import-untyped]
import qrcode.base  # type: ignore[import-untyped]
import qrcode.util  # type: ignore[import-untyped]

__all__ = ["EC_M", "penalty", "symbol"]

EC_M: Final[int] = qrcode.constants.ERROR_CORRECT_M
_EXP: Final[list[int]] = qrcode.base.EXP_TABLE
_LOG: Final[list[int]] = qrcode.base.LOG_TABLE
_RUN: Final = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE: Final = ("10111010000", "00001011101")  # neither overlaps itself, so str.count is exact


class _Bits:
    """A bit stream in one integer, with the ``put(num, length)`` the library's ``QRData.write`` calls."""

    __slots__ = ("length", "value")

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, num: int, length: int) -> None:
        self.value = (self.value << length) | (num & ((1 << length) - 1))
        self.length += length


def _stream(data_list: Sequence[Any], version: int) -> _Bits:
    bits = _Bits()
    for data in data_list:
        bits.put(data.mode, 4)
        bits.put(len(data), qrcode.util.length_in_bits(data.mode, version))
        data.write(bits)
    return bits


def _version(data_list: Sequence[Any], ec: int, start: int = 1) -> int:
    """The smallest version that holds the data (``QRCode.best_fit``)."""
    needed = _stream(data_list, start).length
    version: int = bisect_left(qrcode.util.BIT_LIMIT_TABLE[ec], needed, start)
    if version == 41:
        raise qrcode.exceptions.DataOverflowError()
    if qrcode.util.mode_sizes_for_version(start) is not qrcode.util.mode_sizes_for_version(version):
        return _version(data_list, ec, version)
    return version


@functools.cache
def _generator_logs(ec_count: int) -> tuple[int, ...]:
    """Logs of the RS generator polynomial's coefficients after the leading 1."""
    poly = [1]
    for i in range(ec_count):
        # multiply by (x + a^i)
        nxt = [*poly, 0]
        for j, coef in enumerate(poly):
            if coef:
                nxt[j + 1] ^= _EXP[(_LOG[coef] + i) % 255]
        poly = nxt
    return tuple(_LOG[c] for c in poly[1:])


def _rs_remainder(data: bytes, ec_count: int) -> list[int]:
    gen = _generator_logs(ec_count)
    rem = [0] * ec_count
    for byte in data:
        factor = byte ^ rem[0]
        rem = [*rem[1:], 0]
        if factor:
            lf = _LOG[factor]
            rem = [r ^ _EXP[(lf + g) % 255] for r, g in zip(rem, gen, strict=True)]
    return rem


def _codewords(data_list: Sequence[Any], version: int, ec: int) -> bytes:
    """Data and error correction codewords, interleaved (``qrcode.util.create_data``)."""
    bits = _stream(data_list, version)
    blocks = qrcode.base.rs_blocks(version, ec)
    limit = sum(b.data_count * 8 for b in blocks)
    if bits.length > limit:
        raise qrcode.exceptions.DataOverflowError(f"Code length overflow. Data size ({bits.length}) > {limit}")
    bits.put(0, min(limit - bits.length, 4))
    if bits.length % 8:
        bits.put(0, 8 - bits.length % 8)
    for i in range((limit - bits.length) // 8):
        bits.put(qrcode.util.PAD0 if i % 2 == 0 else qrcode.util.PAD1, 8)
    stream = bits.value.to_bytes(limit // 8, "big")
    data_blocks: list[bytes] = []
    ec_blocks: list[list[int]] = []
    offset = 0
    for block in blocks:
        chunk = stream[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_rs_remainder(chunk, block.total_count - block.data_count))
    out = bytearray()
    for i in range(max(len(b) for b in data_blocks)):
        out.extend(b[i] for b in data_blocks if i < len(b))
    for i in range(max(len(b) for b in ec_blocks)):
        out.extend(b[i] for b in ec_blocks if i < len(b))
    return bytes(out)


@dataclass(frozen=True, slots=True)
class _Layout:
    """What is fixed for a version: function patterns, data cell order, masks, format and version bits."""

    n: int
    function_rows: tuple[int, ...]  # with the format and version areas light (as the library scores masks)
    order: tuple[tuple[int, int], ...]  # data cells in placement order (row, column)
    mask_rows: tuple[tuple[int, ...], ...]  # per mask: its dark data cells
    format_rows: tuple[tuple[int, ...], ...]  # per mask: the dark format, version and fixed dark modules


def _rows(grid: list[list[bool | None]]) -> tuple[int, ...]:
    return tuple(sum(1 << c for c, v in enumerate(row) if v) for row in grid)


@functools.cache
def _layout(version: int, ec: int) -> _Layout:
    probe = qrcode.QRCode(version=version, error_correction=ec)
    n = probe.modules_count = version * 4 + 17

    def fresh() -> list[list[bool | None]]:
        return [[None] * n for _ in range(n)]

    probe.modules = fresh()
    for row, col in ((0, 0), (n - 7, 0), (0, n - 7)):
        probe.setup_position_probe_pattern(row, col)
    probe.setup_position_adjust_pattern()
    probe.setup_timing_pattern()
    probe.setup_type_info(True, 0)
    if version >= 7:
        probe.setup_type_number(True)
    grid: list[list[bool | None]] = probe.modules
    order: list[tuple[int, int]] = []
    row, inc = n - 1, -1
    for right in range(n - 1, 0, -2):  # the walk of QRCode.map_data (skipping the vertical timing pattern)
        col = right - 1 if right <= 6 else right
        while True:
            order += [(row, c) for c in (col, col - 1) if grid[row][c] is None]
            row += inc
            if row < 0 or row >= n:
                row -= inc
                inc = -inc
                break
    masks = [qrcode.util.mask_func(m) for m in range(8)]
    mask_rows = []
    for mask in masks:
        rows = [0] * n
        for r, c in order:
            if mask(r, c):
                rows[r] |= 1 << c
        mask_rows.append(tuple(rows))
    format_rows = []
    for m in range(8):
        probe.modules = fresh()
        probe.setup_type_info(False, m)
        if version >= 7:
            probe.setup_type_number(False)
        format_rows.append(_rows(probe.modules))
    return _Layout(n, _rows(grid), tuple(order), tuple(mask_rows), tuple(format_rows))


def penalty(rows: Sequence[int], n: int) -> int:
    """``qrcode.util.lost_point`` of the symbol whose row ``r`` has bit ``c`` set for a dark module (r, c)."""
    lines = [format(row, f"0{n}b")[::-1] for row in rows]
    lines += ["".join(column) for column in zip(*lines, strict=True)]
    text = "|".join(lines)  # no run or pattern crosses a "|"
    runs = _RUN.findall(text)
    score = sum(map(len, runs)) - 2 * len(runs) + 40 * sum(text.count(p) for p in _FINDER_LIKE)
    pair_mask = (1 << (n - 1)) - 1
    for a, b in pairwise(rows):
        x = a ^ b
        score += 3 * (~(x | (x >> 1) | (a ^ (a >> 1))) & pair_mask).bit_count()
    dark = sum(row.bit_count() for row in rows)
    return score + int(abs(float(dark) / (n * n) * 100 - 50) / 5) * 10


def symbol(data: str | bytes, *, ec: int = EC_M) -> tuple[int, list[int]]:
    """The QR symbol of ``data`` as ``(size, rows)``: ``rows[r]`` has bit ``c`` set for a dark module (r, c).

    The same symbol as ``qrcode.QRCode(error_correction=ec)`` with ``add_data(data)`` and ``make(fit=True)``:
    the library's segmentation, the smallest version, the mask with the lowest penalty (ties to the lowest).
    """
    data_list = list(qrcode.util.optimal_data_chunks(data, minimum=20))
    version = _version(data_list, ec)
    layout = _layout(version, ec)
    codewords = _codewords(data_list, version, ec)
    n, nbits = layout.n, len(codewords) * 8
    value = int.from_bytes(codewords, "big")
    placed = [0] * n
    for i, (r, c) in enumerate(layout.order[:nbits]):
        if value >> (nbits - 1 - i) & 1:
            placed[r] |= 1 << c
    base = [f | d for f, d in zip(layout.function_rows, placed, strict=True)]
    scores = [penalty([b ^ m for b, m in zip(base, mask, strict=True)], n) for mask in layout.mask_rows]
    best = scores.index(min(scores))
    rows = [(b ^ m) | f for b, m, f in zip(base, layout.mask_rows[best], layout.format_rows[best], strict=True)]
    return n, rows
