"""Choose among readings with the table's arithmetic (DOMAIN.md §6).

R1 (per column: 本年新收 + 上年结转 = （七）总计 + 结转下年度), R2 (总计 = the six applicant
columns), R3 (（七）总计 = all outcome rows), R4 (table 四: 总计 = 维持 + 纠正 + 其他 + 尚未审结).
Blank cells: a side of a rule that is entirely blank makes the rule not checkable; otherwise
blanks count as 0 (the convention the hand-checked data uses).

Nothing here picks a favourite: readings that break no rule survive, and a cell whose value
differs between surviving readings is reported as uncertain. When no combination satisfies
the rules (the report is inconsistent as printed), rows keep all their readings.
"""

from __future__ import annotations

import itertools
import math

# a table whose ambiguous rows combine into more cases than this is not solved jointly
MAX_COMBINATIONS = 60_000

Cellref = tuple[str, int]  # (row code, column index)


def sum_rule_holds(lhs: list, rhs: list) -> bool:
    """``sum(lhs) == sum(rhs)``; not checkable (True) when one side is entirely blank."""
    if all(v is None for v in lhs) or all(v is None for v in rhs):
        return True
    left = sum(v for v in lhs if v is not None)
    right = sum(v for v in rhs if v is not None)
    return math.isclose(left, right, abs_tol=1e-6)


def total_holds(parts: list, total, strict: bool) -> bool:
    """A row or group total: ``total == sum(parts)``.

    ``strict`` (for readings made up by dropping blanks) also rejects a blank total next to
    a non-zero part: such a reading put a part where the total was printed.
    """
    if total is None:
        # a part that is neither blank (None) nor 0 is truthy
        return not (strict and any(parts))
    if parts and None not in parts:  # every part printed: summed as is
        return math.isclose(sum(parts), total, abs_tol=1e-6)
    printed = [v for v in parts if v is not None]
    return not printed or math.isclose(sum(printed), total, abs_tol=1e-6)


def filter_rows(candidates: list[tuple], check) -> list[tuple]:
    """Readings passing ``check``; all of them when none does (printed inconsistency)."""
    kept = [r for r in candidates if check(r)]
    return kept or candidates


def solve_jointly(rows: dict[str, list[tuple]], rules: list[tuple[list[Cellref], list[Cellref]]]
                  ) -> tuple[dict[str, list[tuple]], bool]:
    """Keep the readings that occur in some combination satisfying every rule.

    Returns the narrowed candidates and whether a consistent combination exists. Rows with
    one reading are fixed; the ambiguous ones are enumerated (up to MAX_COMBINATIONS).
    """
    ambiguous = [code for code, cands in rows.items() if len(cands) > 1]
    if not ambiguous:
        # one combination, the fixed rows: consistent whatever they print (see below)
        return dict(rows), True
    fixed = {code: cands[0] for code, cands in rows.items() if len(cands) == 1}
    total = math.prod(len(rows[c]) for c in ambiguous)
    if total > MAX_COMBINATIONS:
        return rows, False
    # a rule over fixed rows only cannot be repaired by any reading: it is a printed
    # inconsistency for the validator, not evidence about the ambiguous rows
    open_rows = set(ambiguous)
    relevant = [rule for rule in rules if any(r in open_rows for r, _ in rule[0] + rule[1])]
    survivors: dict[str, set[int]] = {code: set() for code in ambiguous}
    found = False
    for combo in itertools.product(*(range(len(rows[c])) for c in ambiguous)):
        current = dict(fixed)
        for code, idx in zip(ambiguous, combo, strict=True):
            current[code] = rows[code][idx]
        if all(_rule_ok(rule, current) for rule in relevant):
            found = True
            for code, idx in zip(ambiguous, combo, strict=True):
                survivors[code].add(idx)
    if not found:
        return rows, False
    out = dict(rows)
    for code in ambiguous:
        out[code] = [rows[code][i] for i in sorted(survivors[code])]
    return out, True


def _rule_ok(rule, current: dict[str, tuple]) -> bool:
    lhs, rhs = rule
    left = [current[r][c] if r in current else None for r, c in lhs]
    right = [current[r][c] if r in current else None for r, c in rhs]
    return sum_rule_holds(left, right)


def cell_outcome(values) -> tuple[object, list]:
    """``(value, candidates)`` of one cell over surviving readings: value is None when they differ.

    Values equal to 6 decimals are one value, the first printed of them.
    """
    # equal values first (each kept at its first occurrence: the one kept below anyway)
    values = list(dict.fromkeys(values))
    if len(values) == 1:
        return values[0], []
    distinct: dict = {}
    for v in values:
        distinct.setdefault(None if v is None else round(v, 6), v)
    if len(distinct) == 1:
        return next(iter(distinct.values())), []
    return None, list(distinct.values())


def least_violations(rows: dict[str, list[tuple]], rules: list[tuple[list[Cellref], list[Cellref]]]
                     ) -> dict[str, tuple] | None:
    """The one joint reading breaking the fewest rule instances, for a table no reading satisfies.

    Only rules naming an ambiguous row are counted (the others are broken or kept by every
    reading alike). Returns ``{row code: reading}`` for the ambiguous rows, or None when
    several readings tie for the fewest violations (or there are too many to enumerate).
    """
    ambiguous = [code for code, cands in rows.items() if len(cands) > 1]
    if not ambiguous or math.prod(len(rows[c]) for c in ambiguous) > MAX_COMBINATIONS:
        return None
    fixed = {code: cands[0] for code, cands in rows.items() if len(cands) == 1}
    relevant = [rule for rule in rules if any(r in ambiguous for r, _ in rule[0] + rule[1])]
    counts: dict[tuple, int] = {}
    for combo in itertools.product(*(range(len(rows[c])) for c in ambiguous)):
        current = dict(fixed)
        for code, idx in zip(ambiguous, combo, strict=True):
            current[code] = rows[code][idx]
        counts[combo] = sum(not _rule_ok(rule, current) for rule in relevant)
    fewest = min(counts.values())
    best = [combo for combo, n in counts.items() if n == fewest]
    if len(best) != 1:
        return None
    return {code: rows[code][idx] for code, idx in zip(ambiguous, best[0], strict=True)}
