"""Readings of one printed row: every way the printed tokens can map onto the template's cells.

A *reading* is a tuple with one entry per template column: a float, or ``None`` for a cell
printed blank. Lossless layouts give one reading; lossy ones give several:

* glued digit runs (``170000017``) are split into numbers without leading zeros (``0`` alone
  is fine), optionally with a sign (``-18``) or a decimal part (``2339.45``);
* rows whose blank cells were dropped give one reading per order-preserving placement of the
  printed values into the columns.

The arithmetic of the table (``_solve``) then removes readings; what survives decides which
cells are certain.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterator
from functools import lru_cache

from ._text import BLANK_MARKS, Token

NOT_A_VALUE = object()
_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)(万元|元|万|件|项|个|%)?$")
_VALID = re.compile(r"^(?:0|[1-9]\d*)(?:\.\d+)?$")
# a row with more readings than this is reported as undecidable instead of enumerated
MAX_READINGS = 200_000
# longest printed number (characters incl. a decimal point): 999,999,999,999 or 12345678.90
MAX_DIGITS = 13
# plausible cell values by column kind: a count (applications, cases, documents, items)
# has at most 7 digits, the largest real volumes being in the tens of thousands; an amount
# (元 or 万元) at most 12 digits before its decimals. Only a "signed" column (本年增/减)
# holds negative values, and only an amount has decimals. A reading outside these is dropped.
MAX_COUNT_DIGITS = 7
MAX_AMOUNT_DIGITS = 12
# values plausible in a cell of any kind (blank, or a whole number 0-9999): most printed
# cells, checked at once by set membership before the per-cell rules
_PLAIN_VALUES = frozenset([None, *map(float, range(10_000))])


@lru_cache(maxsize=8192)
def parse_value(text: str):
    """``(value, unit)`` of one printed cell; ``(None, "")`` for a printed blank.

    Returns ``NOT_A_VALUE`` when the text is not one value (glued digits with leading
    zeros, words). ``增1`` is +1 and ``减2`` is -2 (本年增/减). The result is immutable; the
    same cell texts recur across rows and reports, so results are kept (bounded, per process).
    """
    t = text.strip().replace(",", "").replace("，", "")
    if t in BLANK_MARKS:
        return None, ""
    if t[:1] in "增减" and len(t) > 1:
        parsed = parse_value(t[1:])
        if parsed is NOT_A_VALUE or parsed[0] is None:
            return NOT_A_VALUE
        return (-parsed[0] if t[0] == "减" else parsed[0]), parsed[1]
    m = _NUMBER.match(t)
    if not m or not _VALID.match(m.group(2)):
        return NOT_A_VALUE
    value = float(m.group(2))
    unit = "万元" if m.group(3) == "万" else m.group(3) or ""
    return (-value if m.group(1) == "-" else value), unit


def plausible(value, kind: str) -> bool:
    """Whether ``value`` can stand in a cell of column ``kind`` (count, signed or amount)."""
    if value is None:
        return True
    if value < 0 and kind != "signed":
        return False
    if kind != "amount" and not float(value).is_integer():
        # a count (or 本年增/减) is a whole number: 102339.4 is a misread glued run
        return False
    digits = MAX_AMOUNT_DIGITS if kind == "amount" else MAX_COUNT_DIGITS
    return abs(value) < 10 ** digits


def plausible_readings(readings: list[tuple], kinds: list[str]) -> list[tuple]:
    """The readings whose every cell is plausible for its column (see :func:`plausible`)."""
    n = len(kinds)
    return [r for r in readings if (len(r) == n and _PLAIN_VALUES.issuperset(r))
            or all(plausible(v, k) for v, k in zip(r, kinds, strict=True))]


def split_digits(digits: str, k: int) -> Iterator[tuple[str, ...]]:
    """All ways to cut ``digits`` into ``k`` numbers without leading zeros.

    No number is longer than MAX_DIGITS characters, which also bounds the enumeration of
    absurdly long runs. Runs of up to ``_SHORT_RUN`` digits (at most 126 splits) recur across
    rows and reports: their splits are listed once per process, longer ones lazily.
    """
    if len(digits) <= _SHORT_RUN:
        return iter(_short_splits(digits, k))
    return _splits(digits, k)


_SHORT_RUN = 10


@lru_cache(maxsize=2048)
def _short_splits(digits: str, k: int) -> tuple[tuple[str, ...], ...]:
    return tuple(_splits(digits, k))


def _splits(digits: str, k: int) -> Iterator[tuple[str, ...]]:
    """The generator behind :func:`split_digits` (recursing through it)."""
    if len(digits) > k * MAX_DIGITS:
        return
    if k == 1:
        if _VALID.match(digits):
            yield (digits,)
        return
    for cut in range(1, min(len(digits) - k + 2, MAX_DIGITS + 1)):
        head = digits[:cut]
        if not _VALID.match(head):
            if head.startswith("0") and cut > 1:
                break
            continue
        for rest in split_digits(digits[cut:], k - 1):
            yield (head, *rest)


@lru_cache(maxsize=8192)
def _chunk_parts(token: str):
    """``(sign, digits, unit)`` of an inline chunk, or None when it is not a digit run (immutable,
    kept per process like :func:`parse_value`)."""
    t = token.replace(",", "")
    if t and t[0] in "增减":
        t = ("-" if t[0] == "减" else "+") + t[1:]
    m = _NUMBER.match(t)
    if not m:
        return None
    return m.group(1), m.group(2), "万元" if m.group(3) == "万" else m.group(3) or ""


def chunk_splits(token: str, k: int) -> Iterator[tuple[float, ...]]:
    """The values of ``token`` cut into ``k`` numbers (sign on the first, unit on the last)."""
    if token.strip() in BLANK_MARKS:
        if k == 1:
            yield (None,)
        return
    parts = _chunk_parts(token)
    if parts is None:
        return
    sign, digits, _unit = parts
    for cut in split_digits(digits, k):
        values = [float(x) for x in cut]
        if sign == "-":
            values[0] = -values[0]
        yield tuple(values)


def max_parts(token: str) -> int:
    """How many numbers a chunk can hold at most."""
    if token.strip() in BLANK_MARKS:
        return 1
    parts = _chunk_parts(token)
    if parts is None:
        return 0
    return len(parts[1].split(".")[0]) + (1 if "." in parts[1] else 0)


def chunk_unit(token: str) -> str:
    parts = _chunk_parts(token)
    return parts[2] if parts else ""


def signed_placements(tokens: list[Token], n: int, sign_col: int, limit: int = MAX_READINGS
                      ) -> list[tuple] | None:
    """Table 二 rows that lost blank cells: every split of the chunks into at most ``n``
    numbers, placed in order, with a number printed with a sign in the 本年增/减 column."""
    chunks = [t.text for t in tokens]
    signed = [c[:1] in ("+", "-", "增", "减") and len(c) > 1 for c in chunks]
    out: list[tuple] = []

    def walk(i: int, acc: tuple, starts: tuple) -> bool:
        if i == len(chunks):
            for cells in placements(acc, n, False):
                filled = [j for j, v in enumerate(cells) if v is not None]
                if all(filled[s] == sign_col for s in starts):
                    out.append(cells)
            return len(out) <= limit
        for k in range(1, max_parts(chunks[i]) + 1):
            if len(acc) + k > n:
                break
            for split in chunk_splits(chunks[i], k):
                start = starts + ((len(acc),) if signed[i] else ())
                if not walk(i + 1, acc + split, start):
                    return False
        return True

    if not walk(0, (), ()):
        return None
    return list(dict.fromkeys(out))


def inline_readings(tokens: list[Token], n: int, limit: int = MAX_READINGS,
                    sign_col: int | None = None) -> list[tuple] | None:
    """Readings of inline chunks that fill exactly ``n`` cells (None when too many to list).

    ``sign_col``: the column of a signed 本年增/减 cell; a chunk printed with a sign
    (``-18538``) starts there, since only that column carries signs.
    """
    chunks = [t.text for t in tokens]
    if sum(map(len, chunks)) == n and all(c.isdigit() and c.isascii() for c in chunks):
        # plain digits, as many as cells (a glued 0000000): each digit is a cell, the only reading
        return [tuple(float(d) for c in chunks for d in c)]
    signed = [c[:1] in ("+", "-", "增", "减") and len(c) > 1 for c in chunks]
    caps = [max_parts(c) for c in chunks]
    if any(c == 0 for c in caps) or sum(caps) < n or len(chunks) > n:
        return []
    out: list[tuple] = []

    def walk(i: int, left: int, acc: tuple) -> bool:
        if i == len(chunks):
            if left == 0:
                out.append(acc)
            return len(out) <= limit
        if sign_col is not None and signed[i] and len(acc) != sign_col:
            return True
        rest_min = len(chunks) - i - 1
        rest_max = sum(caps[i + 1:])
        for k in range(1, min(caps[i], left - rest_min) + 1):
            if left - k > rest_max:
                continue
            for split in chunk_splits(chunks[i], k):
                if not walk(i + 1, left - k, acc + split):
                    return False
                if len(out) > limit:
                    return False
        return True

    if not walk(0, n, ()):
        return None
    return out


def all_splits(tokens: list[Token], n: int, limit: int = MAX_READINGS) -> list[tuple] | None:
    """Readings with fewer than ``n`` values (blank cells dropped): every split of every size."""
    caps = [max_parts(t.text) for t in tokens]
    if any(c == 0 for c in caps):
        return []
    out: list[tuple] = []
    for k in range(len(tokens), min(sum(caps), n - 1) + 1):
        found = inline_readings(tokens, k, limit)
        if found is None:
            return None
        out.extend(found)
        if len(out) > limit:
            return None
    return out


def placements(values: tuple, n: int, last_is_total: bool) -> Iterator[tuple]:
    """Order-preserving placements of ``values`` into ``n`` cells, the others blank."""
    k = len(values)
    if k == 0:
        yield (None,) * n
        return
    padded = (*values, None)
    for pick in _placement_pickers(n, k, last_is_total):
        yield pick(padded)


@lru_cache(maxsize=256)
def _placement_pickers(n: int, k: int, last_is_total: bool) -> tuple:
    """For each order-preserving placement of ``k`` values into ``n`` cells, a function taking
    the values followed by None to the ``n`` cells (None where no value is placed), in the order
    of ``itertools.combinations``; none when ``k > n``."""
    pickers = []
    for slots in itertools.combinations(range(n), k):
        if last_is_total and slots[-1] != n - 1:
            continue
        index = [k] * n
        for i, slot in enumerate(slots):
            index[slot] = i
        pickers.append(operator.itemgetter(*index) if n > 1 else lambda padded, i=index[0]: (padded[i],))
    return tuple(pickers)


def gap_positions(tokens: list[Token], first_gap: int, cell_gap: int, n: int) -> list[int] | None:
    """Cell positions of one-value-per-line tokens, from the empty lines between them.

    In such dumps every cell takes ``cell_gap + 1`` lines, so ``cell_gap + b*(cell_gap+1)``
    empty lines mean ``b`` blank cells in between. ``first_gap`` is the count expected
    between the label (or header) and a value in the first column. None when the counts
    do not fit that model.
    """
    positions = []
    pos = -1
    for i, token in enumerate(tokens):
        base = first_gap if i == 0 else cell_gap
        extra = token.empties - base
        if extra < 0 or extra % (cell_gap + 1):
            return None
        pos = pos + 1 + extra // (cell_gap + 1)
        positions.append(pos)
    if positions and positions[-1] >= n:
        return None
    return positions


def line_values(tokens: list[Token]) -> list | None:
    """Parsed values of one-per-line tokens (None if any is not a single value)."""
    out = []
    for t in tokens:
        parsed = parse_value(t.text)
        if parsed is NOT_A_VALUE:
            return None
        out.append(parsed[0])
    return out
