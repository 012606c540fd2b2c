"""Locate tables 二, 三 and 四 in a prepared text and decode each row into surviving readings."""

from __future__ import annotations

import bisect
import math
import operator
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from ..spec import table_records
from . import _readings as rd
from ._solve import filter_rows, least_violations, solve_jointly, sum_rule_holds, total_holds
from ._text import RowText, Token, tokenize

N3, N4 = 7, 15
# rows whose labels are common words: only searched after the previous row's label
_SEQUENTIAL_ONLY = {"total", "other_other"}
_T4_HEADER = re.compile(r"结果维持|结果纠正|其他结果|尚未审结|总计|维持|纠正|结果|审结|尚未|起诉|其他|合计")
_SECTION_AFTER_T4 = re.compile(r"五\s*[、.．]|存在的主要问题|主要问题|存在问题")
_T4_START = re.compile(r"行政复议|行政法复议|复议")
_T2_START = re.compile(r"第二十条第?\s*[（(]|信息内容")
_T3_START = re.compile(r"本年新收")
_T3_FIRST_ROWS = re.compile("上年结转|予以公开")
# the rest of a label: up to a digit, space, cell border or a signed 增5/减2 cell
_LABEL_TAIL = re.compile(r"(?:(?![增减]\d)[^\d\s|+\-—–/\\])*")
_T2_STOPS = re.compile(r"第二十条|信息内容")
_T2_END = re.compile(r"[三3]\s*[、.．]\s*收到和处理|收到和处理政府信息公开申请|[四五六]\s*、")
_T2_HEADERS = re.compile(r"制作数量|新公开数量|公开总数量|制发件数|废止件数|现行有效件数|项目数量|处理决定数量|收费金额|本年增")


_START = operator.attrgetter("start")


@dataclass(slots=True)
class Anchor:
    code: str
    start: int
    end: int
    label: str


@dataclass
class Decoded:
    """Surviving readings per row of one table, with what was printed."""

    version: str = ""
    rows: dict[str, list[tuple]] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)  # "missing" for labels without values
    units: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # label as printed
    consistent: bool = True
    moved: bool = False  # one-per-line values not at their printed positions
    texts: list = field(default_factory=list)  # (RowText, number of columns) for gap estimation
    items: dict[str, str] = field(default_factory=dict)  # item of each non-standard row
    extra_cols: dict[str, list] = field(default_factory=dict)  # its columns (the item's)
    alts: dict[str, list[tuple]] = field(default_factory=dict)  # readings set aside by least violations


@cache
def _patterns(aliases: str, number: str) -> tuple[tuple[re.Pattern, str], ...]:
    """The compiled label patterns of one row (its ``;``-separated aliases), once per process,
    each with a text that every match contains (looked for first: ``str.find`` is much faster)."""
    return tuple((_pattern(a, number), _literal(a)) for a in aliases.split(";") if a)


def _literal(alias: str) -> str:
    """Text printed in every match of ``_pattern(alias, …)``."""
    plain = alias.replace("“", "").replace("”", "")
    return "三安全一稳定" if "三安全一稳定" in plain else plain


def _pattern(alias: str, number: str) -> re.Pattern:
    core = re.escape(alias.replace("“", "").replace("”", ""))
    core = core.replace(r"三安全一稳定", r"[“\"]?三安全一稳定[”\"]?")
    # the sub-item number may be separated from the alias by the rest of the label
    prefix = rf"(?:{number}\s*[.、．,，]\s*[^\d\s|]{{0,12}}?)" if number else ""
    if alias == "其他" and number:
        return re.compile(prefix + core + r"(?!法律|结果|对外)")
    return re.compile(rf"{prefix}?{core}" if number else core)


def label_plan(rows: Sequence[Mapping[str, str]]) -> tuple[tuple[str, tuple, bool], ...]:
    """What :func:`find_anchors` looks for, per row in order: its code, label patterns, and
    whether the label may be searched before the previous row's (see ``_SEQUENTIAL_ONLY``)."""
    return tuple((row["row_code"], _patterns(row["aliases"], row["number"]), row["row_code"] not in _SEQUENTIAL_ONLY)
                 for row in rows)


def find_anchors(text: str, start: int, end: int, labels: Sequence[tuple[str, tuple, bool]]) -> list[Anchor]:
    """Where each row label is printed between ``start`` and ``end`` (fuzzy, order-tolerant);
    ``labels`` from :func:`label_plan`."""
    anchors: list[Anchor] = []
    cursor = start
    for code, pats, anywhere in labels:
        hit = _search(text, pats, cursor, end)
        if hit is None and anywhere:
            hit = _search(text, pats, start, end, taken=anchors)
        if hit is None:
            continue
        anchors.append(Anchor(code, hit[0], hit[1], text[hit[0]:hit[1]]))
        cursor = hit[1]
    anchors.sort(key=_START)
    # a label runs on to the next digit, space or cell border (its tail and any parenthetical)
    for i, a in enumerate(anchors):
        limit = anchors[i + 1].start if i + 1 < len(anchors) else end
        m = _LABEL_TAIL.match(text, a.end, limit)
        a.end = m.end() if m else a.end
    return anchors


def _search(text, pats, start, end, taken=()):
    best = None
    for pat, literal in pats:
        pos = start
        while text.find(literal, pos, end) >= 0:  # else no match
            m = pat.search(text, pos, end)
            if m is None:
                break
            if not taken or not any(t.start <= m.start() < t.end for t in taken):
                if best is None or m.start() < best[0]:
                    best = (m.start(), m.end())
                break
            pos = m.start() + 1
        if best is not None:
            return best
    return best


_NON_DIGIT = re.compile(r"\D")


def read_region(region: str, in_grid: bool, n: int) -> RowText:
    """Tokens of a region; one-per-line layout only when every line holds one plain value."""
    rt = tokenize(region, in_grid)
    glued_run = n >= N3 and len(rt.tokens) == 1 and len(_NON_DIGIT.sub("", rt.tokens[0].text)) >= n
    if rt.mode == "lines" and (glued_run or any(rd.parse_value(t.text) is rd.NOT_A_VALUE for t in rt.tokens)):
        # glued digits on their own line: the line breaks are not cell borders
        return RowText("inline", [Token(t.text, 0) for t in rt.tokens], raw=rt.raw)
    return rt


def _complete_row(rt: RowText, n: int) -> bool:
    return len(rt.tokens) == n and all(rd.parse_value(t.text) is not rd.NOT_A_VALUE for t in rt.tokens)


def row_texts(text: str, anchors: list[Anchor], end: int, grid_region: bool, n: int) -> dict[str, RowText]:
    out = {}
    for i, a in enumerate(anchors):
        stop = anchors[i + 1].start if i + 1 < len(anchors) else end
        line_start = text.rfind("\n", 0, a.start) + 1
        in_grid = "|" in text[line_start:a.start]
        region = text[min(a.end, stop):stop]
        rt = read_region(region, in_grid, n)
        if grid_region and not in_grid and not _complete_row(rt, n):
            # text beside a grid is a fragment of a broken grid: values found there
            # belong to no row for sure (PDF-to-markdown output moves them around)
            rt.orphan = True
        out[a.code] = rt
    return out


@dataclass
class Gaps:
    """Empty-line counts of a one-cell-per-line dump: between cells, and after a row."""

    cell: int = 0
    row: int = 1
    # empty lines beyond the regular spacing exist: blank cells were kept as empty lines
    # (at least partly). Without them, rows with fewer values than columns lost their blanks.
    kept: bool = False
    # table 三 of the same dump had its values moved (its literal reading broke R1)
    moved: bool = False


def estimate_gaps(rowtexts: list[tuple[RowText, int]]) -> Gaps:
    # the one-per-line rows: their tokens on lines of their own, and their number of columns
    lines = [([t for t in rt.tokens if not t.glued], rt.tail, n) for rt, n in rowtexts if rt.mode == "lines"]
    cells = Counter(t.empties for toks, _, _ in lines for t in toks[1:])
    rows = Counter(tail for toks, tail, n in lines if len(toks) == n and tail is not None)
    gaps = Gaps()
    if cells:
        gaps.cell = cells.most_common(1)[0][0]
    gaps.row = rows.most_common(1)[0][0] if rows else gaps.cell + 1
    gaps.kept = any(t.empties > gaps.cell for toks, _, _ in lines for t in toks) or \
        any(rt.tail is not None and rt.tail > gaps.row for rt, _ in rowtexts)
    return gaps


def _lines_literal(rt: RowText, n: int, gaps: Gaps, first_gap: int) -> tuple | None:
    toks = [t for t in rt.tokens if not t.glued]
    values = rd.line_values(toks)
    if values is None:
        return None
    pos = rd.gap_positions(toks, first_gap, gaps.cell, n)
    if pos is None:
        return None
    cells = [None] * n
    for p, v in zip(pos, values, strict=True):
        cells[p] = v
    return tuple(cells)


def _lines_lossy(rt: RowText, n: int, last_is_total: bool) -> list[tuple]:
    """Readings of a one-per-line row whose blank cells may have been dropped."""
    options = []
    plain = [t for t in rt.tokens if not t.glued]
    options.append(plain)
    if any(t.glued for t in rt.tokens):
        options.append(rt.tokens)
    out = []
    for toks in options:
        values = rd.line_values(toks)
        if values is None:
            continue
        if len(values) == n:
            out.append(tuple(values))
        else:
            out.extend(rd.placements(tuple(values), n, last_is_total))
    return list(dict.fromkeys(out))


def _inline(rt: RowText, n: int, last_is_total: bool, dropped: bool = True,
            sign_col: int | None = None) -> list[tuple] | None:
    """Readings of inline chunks (glued or space-separated); None when too many to list.

    ``dropped``: separate numbers fewer than the columns may also be cells whose blanks were
    left out (tables 三/四, where the sums then decide; not table 二, which has no sums).
    """
    toks = rt.tokens
    if not toks:
        return [(None,) * n]
    direct = [rd.parse_value(t.text) for t in toks]
    if len(toks) == n and all(d is not rd.NOT_A_VALUE for d in direct):
        return [tuple(d[0] for d in direct)]
    found = rd.inline_readings(toks, n, sign_col=sign_col)
    if found is None:
        return None
    if found and not (dropped and 1 < len(toks) < n and all(d is not rd.NOT_A_VALUE for d in direct)):
        return found
    # separate, well-formed numbers but fewer than the columns: blank cells may have been
    # dropped as well as digits glued, so both kinds of reading stay in play
    out = list(found)
    if sign_col is not None or not dropped:
        # table 二: a signed number sits in 本年增/减, wherever blanks were dropped
        if sign_col is not None and (not out or all(d is not rd.NOT_A_VALUE for d in direct)):
            placed = rd.signed_placements(toks, n, sign_col)
            if placed is None:
                return None
            out.extend(placed)
        elif not out:
            placed = _placed_splits(toks, n, last_is_total)
            if placed is None:
                return None
            out.extend(placed)
        return list(dict.fromkeys(out))
    placed = _placed_splits(toks, n, last_is_total)
    if placed is None:
        return None
    return list(dict.fromkeys(out + placed))


def _placed_splits(toks, n: int, last_is_total: bool) -> list[tuple] | None:
    """Every split of the chunks into fewer numbers than columns, placed in every order-keeping way."""
    short = rd.all_splits(toks, n)
    if short is None:
        return None
    return [reading for values in short for reading in rd.placements(values, n, last_is_total)]


def _cells(rt: RowText, n: int) -> tuple[list[tuple] | None, int]:
    """Readings of explicit grid cells and how many cells the row printed."""
    texts = tuple([t.text for t in rt.tokens])
    readings, printed = _cell_readings(texts, n)
    if readings is None:
        # a cell holding several numbers: read the row as inline chunks
        chunks = [Token(c, 0) for t in _value_texts(texts, n) for c in (t.split() or ["-"])]
        return _inline(RowText("inline", chunks), n, False), n
    return list(readings), printed


def _value_texts(texts: tuple[str, ...], n: int) -> list[str]:
    """The cells of a grid row less empty ones beyond ``n`` at either end (label cells spanning
    two grid columns leave an empty cell before the values)."""
    texts = list(texts)
    while len(texts) > n and not texts[0].strip():
        texts.pop(0)
    while len(texts) > n and not texts[-1].strip():
        texts.pop()
    return texts


@lru_cache(maxsize=4096)
def _cell_readings(texts: tuple[str, ...], n: int) -> tuple[tuple[tuple, ...] | None, int]:
    """:func:`_cells` of a row printing the cells ``texts`` when each holds one value, else
    ``(None, n)`` (immutable, cached: the same rows, all zeros above all, recur across reports)."""
    values = []
    for text in _value_texts(texts, n):
        parsed = rd.parse_value(text)
        if parsed is rd.NOT_A_VALUE:
            return None, n
        values.append(parsed[0])
    printed = len(values)
    if 0 < printed < n:
        # fewer cells than columns: which columns lost theirs is not printed, so every
        # order-preserving placement stays a reading (the sums or a hint may decide)
        return tuple(rd.placements(tuple(values), n, False)), printed
    values = (values + [None] * n)[:n]
    return (tuple(values),), printed


@cache
def _t3_labels(version: str) -> tuple[tuple[str, tuple, bool], ...]:
    return label_plan(t3_rows(version))


@cache
def t3_rows(version: str) -> tuple[Mapping[str, str], ...]:
    """The rows of table 三 in one template version (read-only spec records)."""
    return tuple(r for r in table_records("table3_rows") if r[version])


_V2021_ROWS = re.compile(r"逾期不补正|逾期未按收费|缴纳费用|不再处理其")


def t3_version(text: str, start: int, end: int, fallback: str) -> str:
    if _V2021_ROWS.search(text, start, end):
        return "v2021"
    if text.find("其他处理", start, end) >= 0:
        return "v2019"
    return fallback if fallback in ("v2019", "v2021") else "v2021"


def _r2(strict: bool):
    return lambda r: total_holds(r[:6], r[6], strict)


def decode_table3(text: str, start: int, end: int, template: str) -> Decoded | None:
    version = t3_version(text, start, end, template)
    rows = t3_rows(version)
    anchors = find_anchors(text, start, end, _t3_labels(version))
    if len(anchors) < 3:
        return None
    grid_region = text.find("|", start, end) >= 0
    rts = row_texts(text, anchors, end, grid_region, N3)
    out = Decoded(version=version)
    out.texts = [(rt, N3) for rt in rts.values()]
    gaps = estimate_gaps(out.texts)
    literal: dict[str, tuple] = {}
    lossy: dict[str, RowText] = {}
    for a in anchors:
        rt = rts[a.code]
        out.raw[a.code] = rt.raw
        out.labels[a.code] = a.label
        if rt.orphan:
            out.status[a.code] = "missing"
            out.rows[a.code] = [(None,) * N3]
            continue
        if rt.mode == "cells":
            cands, printed = _cells(rt, N3)
            out.rows[a.code] = cands if cands is not None else []
            if printed < N3:
                out.status[a.code] = "short" if printed else "missing"
        elif rt.mode == "lines":
            lit = _lines_literal(rt, N3, gaps, gaps.cell)
            if lit is not None:
                literal[a.code] = lit
            lossy[a.code] = rt
        else:
            # inline text with dropped blanks (PDF text layers): the row total may be blank
            # too, but a blank total beside a non-zero count is not taken as a reading (a
            # row printing counts prints its total, as in every hand-checked report)
            cands = _inline(rt, N3, False)
            if cands is None:
                out.status[a.code] = "undecidable"
                out.rows[a.code] = []
            else:
                out.rows[a.code] = filter_rows(cands, _r2(True)) + _equal_pair_readings(rt, cands)
    line_codes = set(lossy)
    # one-per-line dumps: the empty lines are trusted as blank cells unless some row read that
    # way puts values beside a blank total (then blanks were dropped, not kept)
    blank_rows = {c: (None,) * N3 for c, rt in rts.items() if not rt.tokens and not rt.orphan}
    # an all-zero table satisfies every sum whatever the positions; then only a blank
    # printed before or between values (never seen when values were packed) shows that
    # the empty lines stand where the blank cells were
    trusted = _literal_consistent({**blank_rows, **literal}, version) and (
        any(v for r in literal.values() for v in r) or any(_has_gap(r) for r in literal.values()))
    # blanks dropped or moved. When the last printed value of every row sits in the same
    # slot, that slot is one column for all rows: the 总计 column (the seed dump prints
    # "0 0 2 2" and a lone "2" both ending in its 4th slot). Otherwise (values packed to
    # the left, or cells simply left out) the row total may be among the missing cells.
    last_slots = {max(i for i, v in enumerate(r) if v is not None) for r in literal.values() if any(
        v is not None for v in r)}
    aligned = len(last_slots) == 1 and set(literal) == line_codes
    out.moved = bool(line_codes) and not trusted
    for code in line_codes:
        if trusted and code in literal and gaps.kept:
            out.rows[code] = [literal[code]]
        else:
            out.rows[code] = filter_rows(_lines_lossy(lossy[code], N3, aligned), _r2(True))
    # a reading with an implausible count (a 200-digit run) is no reading; a row left
    # without any is undecidable, its raw text kept
    out.rows = {c: rd.plausible_readings(v, ["count"] * N3) for c, v in out.rows.items()}
    # what placing orphan rows may change (it replaces rows' reading lists, never mutates them)
    before = (dict(out.rows), dict(out.status), dict(out.raw))
    placed = _place_orphans(text, start, end, anchors, rows, out) if grid_region else []
    solvable = {c: v for c, v in out.rows.items() if v}
    read = {c for c in solvable if out.status.get(c) != "missing"}
    rules = _t3_rules(version, read)
    solved, out.consistent = solve_jointly(solvable, rules)
    if placed and not (out.consistent and _fixed_rules_hold(solvable, rules, placed)):
        # the arithmetic contradicts the placement by order: the rows stay missing
        for code in placed:
            out.rows.pop(code, None)
            out.status.pop(code, None)
            out.raw.pop(code, None)
            if code in before[0]:
                out.rows[code], status, out.raw[code] = list(before[0][code]), before[1].get(code), before[2].get(code)
                if status is not None:
                    out.status[code] = status
        solvable = {c: v for c, v in out.rows.items() if v}
        read = {c for c in solvable if out.status.get(c) != "missing"}
        rules = _t3_rules(version, read)
        solved, out.consistent = solve_jointly(solvable, rules)
    out.rows.update(solved)
    if not out.consistent:
        # inconsistent as printed: the one reading breaking the fewest rule instances (R1,
        # R3, R1' and R2 per row), if it is the only one, is taken; the others are kept
        chosen = least_violations(solvable, rules + _r1_prime(version, read) + _r2_rules(solvable))
        for code, reading in (chosen or {}).items():
            out.alts[code] = [r for r in solvable[code] if r != reading]
            out.rows[code] = [reading]
    return out


def _r1_prime(version: str, present: set[str]):
    """R1' per column: 本年新收 + 上年结转 = all outcome rows + 结转下年度 (R1 and R3 combined,
    without the printed （七）总计 row)."""
    codes = [r["row_code"] for r in t3_rows(version)]
    outcomes = [c for c in codes if c not in ("received", "carried_in", "total", "carried_forward")]
    if not set(outcomes) | {"received", "carried_in", "carried_forward"} <= present:
        return []
    return [([("received", col), ("carried_in", col)], [(c, col) for c in outcomes] + [("carried_forward", col)])
            for col in range(N3)]


def _r2_rules(rows: dict[str, list[tuple]]):
    return [([(code, col) for col in range(N3 - 1)], [(code, N3 - 1)]) for code in rows]


def _fixed_rules_hold(rows: dict[str, list[tuple]], rules, codes: list[str]) -> bool:
    """The rules naming one of ``codes`` whose rows all have one reading hold."""
    for lhs, rhs in rules:
        named = {r for r, _ in lhs + rhs}
        if not named & set(codes) or any(len(rows.get(r, [])) != 1 for r in named):
            continue
        if not sum_rule_holds([rows[r][0][c] for r, c in lhs], [rows[r][0][c] for r, c in rhs]):
            return False
    return True


_GRID_LINE = re.compile(r"^\s*\|(.*)\|\s*$")


def _place_orphans(text: str, start: int, end: int, anchors: list[Anchor], rows: Sequence[Mapping[str, str]],
                   out: Decoded) -> list[str]:
    """Give label-less value rows of a broken grid to the rows that lost them, by order.

    PDF-to-markdown output can print a value row without its label cell while the label
    floats elsewhere as loose text. Between two rows read with their label (consecutive in
    template order and in the text), the template rows left without values form a gap; when
    the full label-less value rows printed between those two rows are exactly as many as
    the gap, reading order and template order force the assignment. A value row may start
    with fragments of its label (split across cells or lines); each must be a piece of the
    label of the row its position gives. A lone number is no row.
    The caller checks the result against the arithmetic (R1/R3) and undoes it on conflict.
    Returns the row codes placed.
    """
    order = [r["row_code"] for r in rows]
    labels = {r["row_code"]: r["label"] for r in rows}
    by_code = {a.code: a for a in anchors}
    valued = [c for c in order if c in by_code and out.rows.get(c) and out.status.get(c) != "missing"]
    placed: list[str] = []
    for a_code, b_code in zip(valued, valued[1:], strict=False):
        gap = order[order.index(a_code) + 1:order.index(b_code)]
        a, b = by_code[a_code], by_code[b_code]
        if not gap or a.start >= b.start or any(out.rows.get(c) and out.status.get(c) != "missing"
                                                for c in gap):
            continue
        digit = re.compile(r"\d").search(text, a.end, b.start)
        if digit is None:
            continue
        consumed = text.find("\n", digit.start())
        stop = text.rfind("\n", 0, b.start) + 1
        if consumed < 0 or consumed >= stop:
            continue
        orphans = []
        for line in text[consumed:stop].split("\n"):
            m = _GRID_LINE.match(line)
            if not m:
                continue
            cells = [c.strip() for c in m.group(1).split("|")]
            # cells before the values: fragments of a label split across cells or lines
            lead = []
            while cells and rd.parse_value(cells[0]) is rd.NOT_A_VALUE:
                lead.append(cells.pop(0))
            parsed = [rd.parse_value(c) for c in cells]
            if len(cells) == N3 and all(p is not rd.NOT_A_VALUE and p[0] is not None
                                        and rd.plausible(p[0], "count") for p in parsed):
                orphans.append((tuple(p[0] for p in parsed), line.strip(), lead))
        if len(orphans) != len(gap) or not all(total_holds(list(v[:6]), v[6], True) for v, _, _ in orphans):
            continue
        # a printed label fragment must belong to the row its position gives
        if not all(_fragment_of(f, labels[code]) for code, (_, _, lead) in zip(gap, orphans, strict=True)
                   for f in lead):
            continue
        for code, (values, line, _) in zip(gap, orphans, strict=True):
            out.rows[code] = [values]
            out.status.pop(code, None)
            out.raw[code] = "[按顺序补位] " + line
            placed.append(code)
    return placed


def _fragment_of(fragment: str, label: str) -> bool:
    """Whether a printed cell is a piece (two characters or more) of the template label."""
    piece = re.sub(r"\s+", "", fragment).strip("、，,")
    return len(piece) >= 2 and piece in re.sub(r"\s+", "", label)


def _equal_pair_readings(rt: RowText, cands: list[tuple]) -> list[tuple]:
    """Readings of a dropped-blanks row printing two equal numbers (``1 1``) as two applicant
    cells beside a blank 总计. The strict R2 (a row printing counts prints its total) rests on
    the last number being the sum of the others, which two equal numbers satisfy trivially;
    so both kinds of reading stay, for the column sums to decide."""
    values = [rd.parse_value(t.text) for t in rt.tokens]
    if len(values) != 2 or any(v is rd.NOT_A_VALUE or not v[0] for v in values) or values[0] != values[1]:
        return []
    return [r for r in cands if r[N3 - 1] is None and sum(v is not None for v in r) == 2]


def _has_gap(reading: tuple) -> bool:
    """A blank cell before or between the printed values of a row."""
    filled = [i for i, v in enumerate(reading) if v is not None]
    return bool(filled) and filled != list(range(len(filled)))


def _literal_consistent(literal: dict[str, tuple], version: str) -> bool:
    """Whether one-per-line rows read at their literal positions satisfy the arithmetic.

    R1 with blanks counted as 0: a count in a column whose 总计/结转 cells are blank means
    values were shifted when blank cells were dropped (the seed dump). R3 as usual on the
    applicant columns (detail rows may leave their 总计 blank). Rows printing nothing are blank.
    """
    for lhs, rhs in _t3_rules(version, set(literal)):
        left = [literal[r][c] for r, c in lhs]
        right = [literal[r][c] for r, c in rhs]
        if lhs[0][0] == "received":
            if any(v is not None for v in left + right) and not math.isclose(
                    sum(v or 0 for v in left), sum(v or 0 for v in right), abs_tol=1e-6):
                return False
        elif rhs[0][1] != N3 - 1 and not sum_rule_holds(left, right):
            # R3 on the applicant columns only: detail rows may leave their 总计 blank
            return False
    return True


def _t3_rules(version: str, present: set[str]):
    """R1 and R3 per column, each only when every row it needs was read (a row that is not
    printed would make a rule about the others look broken, or wrongly satisfied)."""
    return list(_t3_rules_of(version, frozenset(present)))


@lru_cache(maxsize=256)
def _t3_rules_of(version: str, present: frozenset[str]) -> tuple:
    """The rules of :func:`_t3_rules`, made once per version and set of rows read (read-only)."""
    codes = [r["row_code"] for r in t3_rows(version)]
    outcomes = [c for c in codes if c not in ("received", "carried_in", "total", "carried_forward")]
    rules = []
    for col in range(N3):
        if {"received", "carried_in", "total", "carried_forward"} <= present:
            rules.append(([("received", col), ("carried_in", col)], [("total", col), ("carried_forward", col)]))
        if set(outcomes) | {"total"} <= present:
            rules.append(([(c, col) for c in outcomes], [("total", col)]))
    return tuple(rules)


_SUB_ROWS = ("国家秘密", "三安全一稳定", "第三方合法权益", "内部事务", "过程性信息", "执法案卷", "查询事项",
             "不掌握", "另行制作", "仍不明确", "信访举报", "重复申请", "公开出版物", "大量反复", "重新出具")


_CARRIED_FORWARD = re.compile(r"结转下年度|转下年度")


def _sub_row_labels(window: str) -> int:
    """How many of the template's sub-row labels ``window`` prints."""
    return sum(label in window for label in _SUB_ROWS)


def locate_table3(text: str) -> tuple[int, int] | None:
    """Start and end of table 三: the 本年新收 row that the sub-row labels follow.

    Section 一 often quotes "本年新收…申请N件" in prose; the table is the last 本年新收
    followed by the template's sub-row labels.
    """
    found = list(_T3_START.finditer(text))
    if not found:
        return None
    full = [c for c in found if _sub_row_labels(text[c.end():c.end() + 3000]) >= 4]
    # the last followed by sub-row labels, else the last followed by the first rows, else the first
    short = full or [c for c in found if _T3_FIRST_ROWS.search(text, c.end(), c.end() + 400)]
    m = short[-1] if short else found[0]
    start = max(0, m.start() - 4)
    cf = _CARRIED_FORWARD.search(text, m.end())
    if cf is None:
        end = min(len(text), m.end() + 6000)
    else:
        t4 = _T4_START.search(text, cf.end())
        end = t4.start() if t4 and t4.start() - cf.end() < 400 else min(len(text), cf.end() + 200)
    return start, end


def locate_table4(text: str, after: int) -> tuple[int, int] | None:
    """Start and end of table 四: a 复议 heading followed by its column headers."""
    for m in _T4_START.finditer(text, after):
        window = text[m.start():m.start() + 400]
        if sum(word in window for word in ("维持", "纠正", "审结", "总计")) >= 3:
            sec = _SECTION_AFTER_T4.search(text, m.end())
            end = sec.start() if sec else min(len(text), m.end() + 1500)
            return m.start(), end
    return None


def decode_table4(text: str, after: int, gaps: Gaps) -> Decoded | None:
    loc = locate_table4(text, after)
    if loc is None:
        return None
    start, end = loc
    header_end = None
    for h in _T4_HEADER.finditer(text, start, end):
        line_end = text.find("\n", h.end(), end)
        rest = text[h.end():line_end if line_end >= 0 else end]
        if "|" in rest and re.search(r"\d", rest):
            # a row label cell of a grid (行政复议 | 2 | 1 …), not a column header
            break
        header_end = h.end()
    if header_end is None:
        return None
    region = text[header_end:end]
    out = Decoded(version="v2019")
    code = "all"
    if "|" in region.split("\n")[0] or region.lstrip(" \n").startswith("|"):
        rows = [_value_cells(ln) for ln in region.split("\n") if "|" in ln and re.search(r"\d", ln)]
        if not rows:
            return None
        # one value row of 15 cells, or one row of five per 复议/诉讼 group
        cells = rows[0] if len(rows[0]) >= N4 or len(rows) < 3 else [c for r in rows[:3] for c in r]
        rt = RowText("cells", [Token(c, 0) for c in cells], raw=" | ".join(cells))
        cands, printed = _cells(rt, N4)
        if printed < N4:
            out.status[code] = "short" if printed else "missing"
        out.raw[code] = rt.raw
    elif _tab_line(region) is not None:
        fields = _tab_line(region)
        rt = RowText("cells", [Token(f.strip(), 0) for f in fields], raw=" | ".join(fields))
        cands, printed = _cells(rt, N4)
        if printed < N4:
            out.status[code] = "short" if printed else "missing"
        out.raw[code] = rt.raw
    else:
        rt = read_region(region, False, N4)
        out.raw[code] = rt.raw
        if not rt.tokens:
            return None
        if rt.mode == "lines":
            toks = [t for t in rt.tokens if not t.glued]
            lit = None
            values = rd.line_values(toks)
            pos = rd.gap_positions(toks, gaps.row, gaps.cell, N4) if values is not None else None
            if pos is not None:
                cells = [None] * N4
                for p, v in zip(pos, values, strict=True):
                    cells[p] = v
                lit = tuple(cells)
            kept = gaps.kept or (pos is not None and toks[0].empties > gaps.row)
            if gaps.moved and pos is not None and pos == list(range(len(pos))):
                # values packed into the first slots of a dump whose blanks moved
                kept = False
            if lit is not None and kept and _r4(True)(lit):
                cands = [lit]
            else:
                cands = [r for r in _lines_lossy(rt, N4, False)]
                cands = filter_rows(cands, _r4(True))
        else:
            cands = _inline(rt, N4, False)
            if cands is not None:
                cands = filter_rows(cands, _r4(False))
    if cands is None:
        out.status[code] = "undecidable"
        cands = []
    out.rows[code] = rd.plausible_readings(cands, ["count"] * N4)
    return out


def _tab_line(region: str) -> list[str] | None:
    """The tab-separated cells of the first printed line of ``region`` (blank cells kept)."""
    line = next((ln for ln in region.split("\n") if ln.strip()), "")
    fields = line.rstrip("\r").split("\t")
    if len(fields) < 3 or not any(f.strip() for f in fields):
        return None
    if not all(not f.strip() or rd.parse_value(f) is not rd.NOT_A_VALUE for f in fields):
        return None
    return fields


def _value_cells(line: str) -> list[str]:
    """The cells of a grid row after any leading label cells (``复议`` …)."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    while cells and cells[0] and rd.parse_value(cells[0]) is rd.NOT_A_VALUE:
        cells.pop(0)
    return cells


def _r4(strict: bool):
    def check(r) -> bool:
        for g in (0, 5, 10):
            if r[g + 4] is None:
                # total_holds with a blank total, inlined: most lossy readings have one
                if strict and any(r[g:g + 4]):
                    return False
            elif not total_holds(r[g:g + 4], r[g + 4], strict):
                return False
        return True
    return check


# ---- table 二 -------------------------------------------------------------------------

@cache
def t2_layout(version: str) -> tuple[tuple[str, str, tuple[Mapping[str, str], ...]], ...]:
    """(row_code, item, columns) for one version, in printed order (read-only spec records)."""
    rows: dict[str, tuple[str, list]] = {}
    for rec in table_records("table2"):
        if not rec[version]:
            continue
        rows.setdefault(rec["row_code"], (rec["item"], []))[1].append(rec)
    return tuple((code, item, tuple(cols)) for code, (item, cols) in rows.items())


_T2_ALIASES = {
    "rules": ["规章"], "normative_docs": ["行政规范性文件", "规范性文件"], "licensing": ["行政许可"],
    "other_services": ["其他对外管理服务事项", "对外管理服务事项"], "penalty": ["行政处罚"],
    "coercion": ["行政强制"], "fees": ["行政事业性收费"], "procurement": ["政府集中采购", "集中采购"],
}


def t2_version(region: str, fallback: str) -> str:
    if re.search(r"制发件数|废止件数|现行有效件数|本年处理决定数量|收费金额", region):
        return "v2021"
    if re.search(r"新制作数量|新公开数量|上一年项目数量|采购项目数量|对外公开总数量", region):
        return "v2019"
    return fallback if fallback in ("v2019", "v2021") else "v2021"


@cache
def _t2_plan(version: str) -> tuple:
    """What decoding table 二 of ``version`` needs from its layout, once per process (read-only):
    the labels to anchor (:func:`label_plan`), the number of columns and the signed column of
    each row, the columns of each item and of each row."""
    layout = t2_layout(version)
    rows = [{"row_code": code, "number": "", "aliases": ";".join(_T2_ALIASES[code])} for code, _, _ in layout]
    ncols = {code: len(cols) for code, _, cols in layout}
    signs = {code: next((i for i, c in enumerate(cols) if c["kind"] == "signed"), None)
             for code, _, cols in layout}
    items = {item: cols for _, item, cols in layout}
    row_cols = {code: cols for code, _, cols in layout}
    return label_plan(rows), ncols, signs, items, row_cols


def decode_table2(text: str, end: int, template: str) -> Decoded | None:
    start = next((m.start() for m in _T2_START.finditer(text, 0, end)
                  if _T2_HEADERS.search(text, m.start(), m.start() + 300)), None)
    if start is None:
        return None
    end = min(end, start + 4000)
    after = _T2_END.search(text, start, end)
    end = after.start() if after else end
    version = t2_version(text[start:end], template)
    labels, ncols, signs, items, row_cols = _t2_plan(version)
    anchors = find_anchors(text, start, end, labels)
    ncols = dict(ncols)
    out = Decoded(version=version)
    for extra, item in _extra_rows(text, start, end, anchors, version):
        anchors.append(extra)
        ncols[extra.code] = len(items.get(item, [])) or 1
        out.items[extra.code] = item
        out.extra_cols[extra.code] = items.get(item, [])
    anchors.sort(key=lambda a: a.start)
    # headers and item titles also end a row's values
    stops = sorted([a.start for a in anchors] + [h.start() for h in _T2_STOPS.finditer(text, start, end)])
    grid_region = text.find("|", start, end) >= 0
    regions = {}
    for a in anchors:
        after = bisect.bisect_right(stops, a.start)  # the first stop after the label
        stop = min(stops[after], end) if after < len(stops) else end
        line_start = text.rfind("\n", 0, a.start) + 1
        in_grid = "|" in text[line_start:a.start]
        region = text[min(a.end, stop):stop]
        # one run of characters cut only at its sign: glued cells, none of them left out
        rt = read_region(region, in_grid, ncols[a.code])
        glued = len(rt.tokens) == 1
        split = _split_signs(region)
        regions[a.code] = (rt if split == region else read_region(split, in_grid, ncols[a.code]), in_grid, glued)
        out.texts.append((regions[a.code][0], ncols[a.code]))
    gaps = estimate_gaps(out.texts)
    # inline text that left blank cells out of a row printing values (fewer digits than
    # its columns): any inline row of the table may have lost blanks too. A row printing
    # nothing at all is no such evidence (an all-blank row beside fully printed ones).
    drops = any(rt.mode == "inline" and not in_grid and rt.tokens
                and sum(rd.max_parts(t.text) for t in rt.tokens) < ncols[code]
                for code, (rt, in_grid, _) in regions.items())
    item_heads = list(_ITEM.finditer(text, start, end))
    for a in anchors:
        rt, in_grid, glued = regions[a.code]
        n = ncols[a.code]
        out.raw[a.code] = rt.raw
        out.labels[a.code] = a.label
        out.units[a.code] = _unit_of(rt) or _header_unit(text, start, a.start, item_heads)
        if grid_region and not in_grid and not _complete_row(rt, n):
            out.status[a.code] = "missing"
            out.rows[a.code] = [(None,) * n]
            continue
        if rt.mode == "cells":
            cands, printed = _cells(rt, n)
            if printed < n:
                out.status[a.code] = "short" if printed else "missing"
        elif rt.mode == "lines":
            lit = _lines_literal(rt, n, gaps, gaps.cell)
            cands = [lit] if lit is not None else _lines_lossy(rt, n, False)
        else:
            # a glued run is read with every cell printed when it can be (blank cells
            # only when it cannot), as glued table 三 rows are
            cands = _inline(rt, n, False, dropped=signs.get(a.code) is not None and not glued,
                            sign_col=signs.get(a.code))
            if drops and cands is not None and 0 < len(rt.tokens) < n:
                cands = _with_dropped_blanks(rt, n, signs.get(a.code), cands)
        if cands is None:
            out.status[a.code] = "undecidable"
            cands = []
        cols = out.extra_cols[a.code] if a.code in out.extra_cols else row_cols[a.code]
        out.rows[a.code] = rd.plausible_readings(cands, [c["kind"] for c in cols] or ["count"])
    return out


def _with_dropped_blanks(rt: RowText, n: int, sign_col: int | None, cands: list[tuple]) -> list[tuple] | None:
    """``cands`` plus the readings of ``rt`` with fewer values than cells (blanks left out)."""
    if sign_col is not None:
        more = rd.signed_placements(rt.tokens, n, sign_col)
    else:
        short = rd.all_splits(rt.tokens, n)
        more = None if short is None else [p for values in short for p in rd.placements(values, n, False)]
    return None if more is None else list(dict.fromkeys(cands + more))


_ITEM = re.compile(r"第二十条第?\s*([（(][一二三四五六七八九十]+[）)])")
# (possessive: the run taken whole, up to 40 characters, then the number looked for once. Backing
# off could not find another match: inside a run the number can only follow 增/减 ending it.)
_EXTRA_LABEL = re.compile(r"[\u4e00-\u9fff（）()“”、]{3,40}+(?=[ \t|]*[+\-增减]?\d)")
# printed headers that can precede a local row's label in glued text
_T2_HEADER_PREFIX = re.compile(r".*(?:信息内容|数量|件数|增/减|增减|金额|万元）|万元\)|[（(][一二三四五六七八九十]+[）)]项)")


def _extra_rows(text: str, start: int, end: int, anchors: list[Anchor], version: str):
    """Local rows of table 二 that are not in the template (e.g. 其他主动公开文件).

    A run of words directly followed by numbers, not a known row or header, inside the
    table, and not opened by a parenthesis (an annotation such as （其中修订N件）). Kept as ``extra:<label>`` rows under the item printed before them.
    """
    aliases = {alias for names in _T2_ALIASES.values() for alias in names}
    for m in _EXTRA_LABEL.finditer(text, start, end):
        if any(a.start < m.end() and m.start() < a.end for a in anchors):
            continue
        label = _T2_HEADER_PREFIX.sub("", m.group(0)).strip("（）() 、")
        if len(label) < 3 or label in aliases or re.search(r"第二十条|单位|情况|、", label):
            continue
        label_start = m.end() - len(label)
        if re.search(r"[（(]\s*$", text[start:label_start]) and not re.search(r"[）)]", label):
            # a parenthesised annotation (（其中修订N件）) qualifies a figure, it is no row
            continue
        items = [i.group(1).replace("(", "（").replace(")", "）") for i in _ITEM.finditer(text, start, label_start)]
        yield Anchor(f"extra:{label}", label_start, m.end(), label), (items[-1] if items else "")


_YUAN_HEADER = re.compile(r"[（(]\s*(?:单位[:：])?\s*元\s*[）)]")


def _header_unit(text: str, start: int, pos: int, item_heads: list[re.Match]) -> str:
    """The money unit printed in the column headers of the item before ``pos`` (``item_heads``:
    the item titles of the table, each ending before ``pos`` or not)."""
    items = [m for m in item_heads if m.end() <= pos]
    header = text[items[-1].start() if items else start:pos]
    if "万元" in header:
        return "万元"
    return "元" if _YUAN_HEADER.search(header) else ""


_SIGN_START = re.compile(r"(?<=\d)(?=[+\-增减]\d)")


def _split_signs(region: str) -> str:
    """``2648-18538`` → ``2648 -18538``: a sign starts the signed 本年增/减 cell."""
    return _SIGN_START.sub(" ", region)


def _unit_of(rt: RowText) -> str:
    for t in reversed(rt.tokens):
        unit = rd.chunk_unit(t.text)
        if unit in ("元", "万元"):
            return unit
    return ""
