"""What a lossy printing of one table row still determines.

A renderer prints a row of value cells in one of three ways:

* ``positional`` — every cell keeps its place (grids, tab rows, one cell per line with
  empty lines kept): every cell is determined;
* ``dropped`` — empty cells vanish but the printed values stay separate (one cell per
  line with empty lines dropped, space-separated text): the values are known, their
  columns are not, unless none or all cells are blank;
* ``glued`` — the values run together (``170000017``): the string is split with the
  column rules (no leading zeros, and R2/R4 — the row total equals the sum of its parts —
  as in the hand-checked real files); a split that stays ambiguous leaves cells uncertain.

:func:`row_candidates` returns, per cell, every value the printed text admits. The truth
writer lists a cell as uncertain when that set has more than one member.
"""

from __future__ import annotations

import re
from itertools import combinations

# Enumeration is capped: a row with more readings than this is uncertain in every cell.
MAX_READINGS = 4000
_SIGNED = re.compile(r"^(?:([+\-增减]?)(0|[1-9]\d*))$")
_AMOUNT = re.compile(r"^(0|[1-9]\d*)(\.\d+)?(万元|元)?$")


def parse_value(text: str, kind: str):
    """The value of a printed token for a cell of ``kind``, or None if it cannot be one."""
    if kind == "count":
        return int(text) if re.fullmatch(r"0|[1-9]\d*", text) else None
    if kind == "signed":
        m = _SIGNED.match(text)
        if not m:
            return None
        sign = -1 if m.group(1) in ("-", "减") else 1
        return sign * int(m.group(2))
    m = _AMOUNT.match(text)
    if not m:
        return None
    return float(m.group(1) + m.group(2)) if m.group(2) else int(m.group(1))


def _token_ends(s: str, i: int, kind: str) -> list[int]:
    """End offsets j such that ``s[i:j]`` is a well-formed token for a cell of ``kind``."""
    if kind == "signed" and i < len(s) and s[i] in "+-增减":
        i += 1
    if i >= len(s) or not s[i].isdigit():
        return []
    if s[i] == "0":
        int_ends = [i + 1]
    else:
        j = i
        while j < len(s) and s[j].isdigit():
            j += 1
        int_ends = list(range(i + 1, j + 1))
    if kind != "amount":
        return int_ends
    ends: list[int] = []
    for e in int_ends:
        options = [e]
        if e < len(s) and s[e] == "." and e + 1 < len(s) and s[e + 1].isdigit():
            f = e + 1
            while f < len(s) and s[f].isdigit():
                f += 1
                options.append(f)
        for o in options:
            ends.append(o)
            for unit in ("万元", "元"):
                if s.startswith(unit, o):
                    ends.append(o + len(unit))
    return ends


def _glued_readings(s: str, kinds: list[str], allow_blank: bool, groups, cap: int) -> list[tuple] | None:
    out: list[tuple] = []
    m = len(kinds)
    check_at = {total: parts for parts, total in groups or ()}

    def rec(slot: int, pos: int, acc: list):
        if len(out) > cap:
            return
        if slot == m:
            if pos == len(s):
                out.append(tuple(acc))
            return
        options = [(pos, None)] if allow_blank else []
        for end in _token_ends(s, pos, kinds[slot]):
            options.append((end, parse_value(s[pos:end], kinds[slot])))
        for end, value in options:
            acc.append(value)
            parts = check_at.get(slot)
            if parts is None or value is None or any(acc[p] is None for p in parts) \
                    or sum(acc[p] for p in parts) == value:
                rec(slot + 1, end, acc)
            acc.pop()

    rec(0, 0, [])
    return None if len(out) > cap else out


def row_candidates(texts: list[str], kinds: list[str], truth: list, mode: str,
                   groups: list[tuple[tuple[int, ...], int]] | None = None) -> list[list]:
    """Per cell, the sorted list of values the printed row admits (always including the truth).

    ``texts`` are the cells as printed ("" = blank), ``kinds`` their value kinds, ``truth``
    the printed values, ``groups`` the sum rules ``((part slots), total slot)`` used to split
    glued rows.
    """
    m = len(texts)
    truth_t = tuple(truth)
    if mode == "positional":
        readings = [truth_t]
    elif mode == "dropped":
        tokens = [t for t in texts if t]
        if len(tokens) in (0, m):
            readings = [truth_t]
        else:
            readings = []
            for slots in combinations(range(m), len(tokens)):
                values = [None] * m
                for slot, token in zip(slots, tokens):
                    values[slot] = parse_value(token, kinds[slot])
                if all(values[slot] is not None for slot in slots):
                    readings.append(tuple(values))
    elif mode == "glued":
        # the standard reading first: every cell printed and the sum rules kept; relax only
        # when the printed text admits no such reading (a slip, or a blank cell)
        s = "".join(texts)
        readings = []
        for allow_blank, rules in ((False, groups), (False, None), (True, None)):
            readings = _glued_readings(s, kinds, allow_blank, rules, MAX_READINGS)
            if readings != []:
                break
        if readings is None:
            return [[v, "…"] for v in truth]  # too many readings to list: every cell uncertain
    else:
        raise ValueError(mode)
    if truth_t not in readings:
        readings.append(truth_t)
    out = []
    for slot in range(m):
        values = {r[slot] for r in readings}
        out.append(sorted(values, key=lambda v: (v is None, v if v is not None else 0)))
    return out
