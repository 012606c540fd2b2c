"""Validate reports: the template's arithmetic, across years, and text against tables.

The rules are data (``gdtools/spec/rules.yaml``); this module is the small engine that
applies them to tables frames (``TABLE_COLUMNS``) and returns findings as rows
(``FINDING_COLUMNS``), never as exceptions.

Severities:

- ``error`` / ``warning``: the rule is broken as printed (the rule file says which).
- ``not_assessable``: the inputs do not decide — cells blank (blank is not zero: a
  blank cell is "not reported", so a sum that only holds if a blank cell held some
  number is not a failure), cells missing, or cells read ambiguously where the
  candidate readings lead to different verdicts. The message names those cells.
- ``ok``: one row per report and rule summarising the checks that held, so a reader sees
  that a rule (e.g. X1 across two years) was evaluated and passed. A sum with blank
  inputs that holds when the blanks count as nothing is ``ok``; the message says so.

``expected`` and ``actual`` of a finding: for sums, the sum of the parts and the printed
total (``diff`` = actual − expected); for cross-year rules, what last year's report implies
and what this year's report prints; for X4, the table's figure and the figure quoted in the
text.

``validate_report`` applies the in-report rules (R1–R4, X4, X5, completeness C1–C4);
``validate_corpus`` the cross-year rules (X1–X3) from frames alone, so a batch runner
can apply them after a parallel pass over the reports.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import yaml

from .agency import normalize_agency
from .errors import ValidationError
from .model import BLANK, FINDING_COLUMNS, MISSING, UNCERTAIN, Report
from .numbers_zh import NUMBER_PATTERN, parse_zh_number
from .spec import read_text, table_spec

log = logging.getLogger("gdtools")

SEVERITIES = ("error", "warning", "not_assessable", "ok")
KINDS = frozenset({"sum_equals", "cross_year_equals", "text_matches_table", "requires_mention",
                   "present", "cells_certain"})
TABLE_NAMES = {"table2": "表二", "table3": "表三", "table4": "表四"}
TABLE_TITLES = {"table2": "主动公开政府信息情况", "table3": "收到和处理政府信息公开申请情况",
                "table4": "政府信息公开行政复议、行政诉讼情况"}
STANDARD_TEMPLATES = ("v2019", "v2021")
# Above this many combinations of candidate readings a rule is reported not assessable.
MAX_READINGS = 4096
_REQUIRED = ("id", "kind", "description", "source", "severity", "tolerance")


@dataclass(frozen=True)
class Rule:
    """One validation rule as declared in ``rules.yaml``; kind-specific keys are in ``params``."""

    id: str
    kind: str
    description: str
    source: str
    severity: str
    tolerance: float
    params: MappingProxyType


def parse_rules(text: str) -> tuple[Rule, ...]:
    """Rules from YAML ``text``; raises ValidationError naming the rule and the fix when malformed."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"rules file is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ValidationError("rules file must be a mapping with a list under 'rules'")
    rules, seen = [], set()
    for i, entry in enumerate(data["rules"]):
        if not isinstance(entry, dict):
            raise ValidationError(f"rule #{i + 1} must be a mapping")
        missing = [k for k in _REQUIRED if k not in entry]
        if missing:
            raise ValidationError(f"rule {entry.get('id', '#' + str(i + 1))} lacks {', '.join(missing)}")
        if entry["kind"] not in KINDS:
            raise ValidationError(f"rule {entry['id']}: unknown kind {entry['kind']!r}; use one of {sorted(KINDS)}")
        if entry["severity"] not in SEVERITIES[:3]:
            raise ValidationError(f"rule {entry['id']}: severity must be error, warning or not_assessable")
        if entry["id"] in seen:
            raise ValidationError(f"rule id {entry['id']} is declared twice")
        seen.add(entry["id"])
        params = {k: v for k, v in entry.items() if k not in _REQUIRED}
        rules.append(Rule(str(entry["id"]), entry["kind"], str(entry["description"]), str(entry["source"]),
                          entry["severity"], float(entry["tolerance"]), MappingProxyType(params)))
    return tuple(rules)


@cache
def load_rules() -> tuple[Rule, ...]:
    """The rules shipped in ``gdtools/spec/rules.yaml``."""
    return parse_rules(read_text("rules.yaml"))


# --------------------------------------------------------------------------------------
# Template knowledge from the crosswalks


def template_key(template: Any, year: Any = None) -> str | None:
    """``v2019`` / ``v2021`` for a template marker (``v2019``, ``2019``…), else None.

    When the template is unknown, a report year from 2019 on implies the format then in force
    (2019–2020: v2019, from 2021: v2021); the year is only used for completeness checks.
    """
    text = "" if template is None or (isinstance(template, float) and math.isnan(template)) else str(template)
    m = re.search(r"(2019|2021)", text)
    if m:
        return "v" + m.group(1)
    if year is not None and not text.startswith(("older", "legacy")):
        y = _as_int(year)
        if y is not None and y >= 2019:
            return "v2019" if y <= 2020 else "v2021"
    return None


def _as_int(value: Any) -> int | None:
    try:
        if value is None or pd.isna(value):
            return None
        return int(float(value))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class _Layout:
    """Codes and labels of one table in one template version."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]
    row_labels: MappingProxyType      # code -> official label
    col_labels: MappingProxyType
    short: MappingProxyType           # row code -> short label for messages
    cells: frozenset                  # (row, col) pairs the template has


@cache
def _layout(table: str, template: str | None) -> _Layout:
    if table == "table3":
        all_rows, cols_df = table_spec("table3_rows"), table_spec("table3_cols")
        rows_df = all_rows[all_rows[template] != ""] if template in STANDARD_TEMPLATES else all_rows
        rows = tuple(rows_df["row_code"])
        cols = tuple(cols_df["col_code"])
        # labels of every row, so a row printed in the other version's form is still named
        rows_df = all_rows
        short = {r.row_code: r.gold_key for r in rows_df.itertuples()}
        short["total"] = "（七）总计"
        return _Layout(rows, cols, MappingProxyType(dict(zip(rows_df["row_code"], rows_df["label"]))),
                       MappingProxyType(dict(zip(cols_df["col_code"], cols_df["label"]))),
                       MappingProxyType(short), frozenset(itertools.product(rows, cols)))
    if table == "table4":
        rows_df, cols_df = table_spec("table4_rows"), table_spec("table4_cols")
        rows, cols = tuple(rows_df["row_code"]), tuple(cols_df["col_code"])
        labels = dict(zip(rows_df["row_code"], rows_df["label"]))
        return _Layout(rows, cols, MappingProxyType(labels),
                       MappingProxyType(dict(zip(cols_df["col_code"], cols_df["label"]))),
                       MappingProxyType(labels), frozenset(itertools.product(rows, cols)))
    if table == "table2":
        spec = table_spec("table2")
        versions = [template] if template in STANDARD_TEMPLATES else list(STANDARD_TEMPLATES)
        keep = spec[spec[versions].ne("").any(axis=1)]
        rows = tuple(dict.fromkeys(keep["row_code"]))
        cols = tuple(dict.fromkeys(keep["col_code"]))
        version = versions[0]
        row_labels = {r.row_code: getattr(r, f"row_{version}") or r.gold_row for r in keep.itertuples()}
        col_labels = {r.col_code: (getattr(r, version) or r.gold_col.split("|")[0]) for r in keep.itertuples()}
        return _Layout(rows, cols, MappingProxyType(row_labels), MappingProxyType(col_labels),
                       MappingProxyType(row_labels), frozenset(zip(keep["row_code"], keep["col_code"])))
    raise ValidationError(f"unknown table {table!r}: use table2, table3 or table4")


@cache
def _groups(table: str) -> MappingProxyType:
    """Row code -> template group (（六）其他处理 …) for tables whose versions differ in sub-rows."""
    if table != "table3":
        return MappingProxyType({})
    spec = table_spec("table3_rows")
    return MappingProxyType({r.row_code: r.group for r in spec.itertuples() if r.group})


def _rows_for(table: str, template: str | None, cells: _Cells) -> tuple[str, ...]:
    """The rows a report's table should have: its template's rows, except that a group printed
    in the other version's form (real v2021 reports with the single v2019 （六）其他处理 row)
    is taken as printed."""
    return _expected_rows(table, template, cells._rows)


@lru_cache(maxsize=1024)
def _expected_rows(table: str, template: str | None, present: frozenset[tuple[str, str]]) -> tuple[str, ...]:
    """:func:`_rows_for` of a report whose (table, row) pairs with a cell not missing are ``present``
    (immutable, cached: reports printing the same rows share it)."""
    rows = list(_layout(table, template).rows)
    groups = _groups(table)
    if not groups:
        return tuple(rows)
    if template not in STANDARD_TEMPLATES:
        # version unknown: the rows this report has
        return tuple(r for r in rows if (table, r) in present)
    all_rows = _layout(table, None).rows
    for group in dict.fromkeys(groups[r] for r in rows if r in groups):
        mine = [r for r in rows if groups.get(r) == group]
        if any((table, r) in present for r in mine):
            continue
        other = [r for r in all_rows if groups.get(r) == group and r not in mine and (table, r) in present]
        if other:
            at = rows.index(mine[0])
            rows[at:at + len(mine)] = other
    return tuple(rows)


def _expand(codes: Sequence[str], available: Sequence[str]) -> list[str]:
    """Codes in template order; ``prefix*`` matches every available code with that prefix."""
    out: list[str] = []
    for code in codes:
        if code.endswith("*"):
            out += [c for c in available if c.startswith(code[:-1]) and c not in out]
        elif code in available and code not in out:
            out.append(code)
    return out


# --------------------------------------------------------------------------------------
# Cells of one report


class _Cell(NamedTuple):
    value: float | None
    status: str
    candidates: tuple[float | None, ...]


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    if type(value) is float:   # the common case, fast: a float cell or NaN
        return None if value != value else value
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            n = parse_zh_number(text)
            return None if n is None else float(n)
    try:
        if pd.isna(value):
            return None
        return float(value)
    except (TypeError, ValueError):
        return None


_BLANK_WORDS = {"blank", "空白", "none", "null", ""}
_SEPARATOR = re.compile(r"[|;；]")
# first characters of the JSON texts that are a scalar: number, true, false, null, NaN, Infinity
_JSON_SCALAR_START = frozenset("-0123456789tfnNI")


def _parse_candidates(raw: Any) -> tuple[float | None, ...]:
    """Candidate values of an uncertain cell: a list, or JSON / ``|``-separated text of one.

    ``blank`` (or None) is the reading "cell left empty"; a marker like ``undecidable``
    contributes no reading, so a cell with only that is not assessable.
    """
    if raw is None:
        return ()
    if isinstance(raw, float) and math.isnan(raw):
        return ()
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return ()
        try:
            # (the JSON parser is skipped for text it rejects: a scalar never holds a separator)
            if not (text[0] in '[{"' or (text[0] in _JSON_SCALAR_START and _SEPARATOR.search(text) is None)):
                raise ValueError(text)
            raw = json.loads(text)
        except ValueError:
            raw = _SEPARATOR.split(text)
    if not isinstance(raw, (list, tuple, set, frozenset)) and hasattr(raw, "tolist"):
        raw = raw.tolist()
    if not isinstance(raw, (list, tuple, set, frozenset)):
        raw = [raw]
    values = []
    for item in raw:
        if isinstance(item, dict):
            item = item.get("value")
        if item is None or (isinstance(item, str) and item.strip().lower() in _BLANK_WORDS):
            values.append(None)   # one reading leaves the cell empty
            continue
        number = _number(item)
        if number is not None:   # markers such as "undecidable" are no reading at all
            values.append(number)
    return tuple(dict.fromkeys(values))


_KEPT_STATUS = (BLANK, UNCERTAIN, MISSING)
_UNSURE = (UNCERTAIN, MISSING)
# what _Cells.values gives for a cell that is uncertain, missing or absent
_NOT_CERTAIN = object()


def _cell_columns(frame: pd.DataFrame) -> tuple[list, ...]:
    """Tables, row codes, column codes, values, statuses and candidates of a tables frame's rows,
    as lists; a missing column reads None."""
    n = len(frame)

    def column(name: str) -> list:
        return frame[name].tolist() if name in frame.columns else [None] * n

    return tuple(map(column, ("table", "row_code", "col_code", "value", "status", "candidates")))


class _KeyLayout(NamedTuple):
    """The cell key (table, row_code, col_code as text) of each row of a tables frame, and the
    tables and (table, row) pairs they name: the same for every report printing the same cells."""

    keys: tuple[tuple[str, str, str], ...]
    tables: frozenset[str]
    rows: frozenset[tuple[str, str]]


_TEXT_ONLY = frozenset({str})


@lru_cache(maxsize=256)
def _key_layout(tables: tuple, row_codes: tuple, col_codes: tuple) -> _KeyLayout:
    keys = tuple(zip(map(str, tables), map(str, row_codes), map(str, col_codes)))
    return _KeyLayout(keys, frozenset(map(itemgetter(0), keys)), frozenset(map(itemgetter(0, 1), keys)))


def _keys_of(tables: Sequence, row_codes: Sequence, col_codes: Sequence) -> _KeyLayout:
    """The :class:`_KeyLayout` of a frame's key columns, made once per distinct columns (immutable, cached)
    when they hold text only: other values may be equal and hash alike with another text (1, 1.0, True)."""
    columns = (tuple(tables), tuple(row_codes), tuple(col_codes))
    if all(set(map(type, column)) <= _TEXT_ONLY for column in columns):
        return _key_layout(*columns)
    return _key_layout.__wrapped__(*columns)


def _value_status(raw_value: Any, status: Any) -> tuple[float | None, str]:
    """A cell's number (None when blank) and status (``ok`` / blank / uncertain / missing)."""
    if raw_value is None:
        value = None
    elif type(raw_value) is float:
        value = None if raw_value != raw_value else raw_value
    else:
        value = _number(raw_value)
    if not (isinstance(status, str) and status in _KEPT_STATUS):
        status = "ok" if value is not None else BLANK
    return (None if status == BLANK else value), status


class _Cells:
    """Lookup of one report's cells by (table, row_code, col_code).

    ``keys``, ``values``, ``statuses``, ``candidates``: equal-length lists, one item per row of a
    tables frame in frame order (see :func:`_cell_columns`); the first row of a key wins. ``keys``
    may be their :class:`_KeyLayout`, whose tables and rows then serve when no cell is missing. A
    certain cell is its (value, status): equal ones are one shared object.
    """

    def __init__(self, keys: Sequence | _KeyLayout = (), values: Sequence = (), statuses: Sequence = (),
                 candidates: Sequence = ()):
        layout = keys if isinstance(keys, _KeyLayout) else None
        if layout is not None:
            keys = layout.keys
        try:
            cells, statuses_made = self._shared(keys, values, statuses, candidates)
        except TypeError:   # an unhashable or NA value: cell by cell
            cells, statuses_made = self._one_by_one(keys, values, statuses, candidates)
        self._cells = cells
        # keys of the uncertain cells, in frame order
        self.uncertain = [key for key, cell in cells.items() if cell.status == UNCERTAIN] \
            if UNCERTAIN in statuses_made else []
        if MISSING in statuses_made:
            present = [key for key, cell in cells.items() if cell.status != MISSING]
            self.tables: set[str] | frozenset[str] = {key[0] for key in present}
            self._rows: frozenset[tuple[str, str]] = frozenset(key[:2] for key in present)
        elif layout is not None:
            self.tables, self._rows = layout.tables, layout.rows
        else:
            self.tables = set(map(itemgetter(0), cells))
            self._rows = frozenset(map(itemgetter(0, 1), cells))
        # value of each certain (ok or blank) cell, None when blank; _NOT_CERTAIN for the others
        if UNCERTAIN in statuses_made or MISSING in statuses_made:
            self.values = {key: _NOT_CERTAIN if cell.status in _UNSURE else cell.value for key, cell in cells.items()}
        else:
            self.values = dict(zip(cells, map(attrgetter("value"), cells.values())))

    @staticmethod
    def _shared(keys: Sequence, values: Sequence, statuses: Sequence, candidates: Sequence) -> tuple[dict, set]:
        """The cells, made once per distinct (value, status) in frame order (uncertain ones per
        cell), and the statuses they have."""
        plain: dict[tuple[float | None, str], _Cell] = {}
        cell_of: dict[tuple, _Cell] = {}
        made_statuses = set()
        for pair in dict.fromkeys(zip(values, statuses)):
            value, status = _value_status(*pair)
            made_statuses.add(status)
            if status != UNCERTAIN:
                cell = plain.get((value, status))
                if cell is None:
                    cell = plain[value, status] = _Cell(value, status, ())
                cell_of[pair] = cell
        made = list(map(cell_of.get, zip(values, statuses)))
        if UNCERTAIN in made_statuses:
            at = -1
            while True:
                try:
                    at = made.index(None, at + 1)
                except ValueError:
                    break
                made[at] = _Cell(_value_status(values[at], UNCERTAIN)[0], UNCERTAIN,
                                 _parse_candidates(candidates[at]))
        cells = dict(zip(keys, made))
        if len(cells) < len(made):   # a key repeated: its first row wins, in first-row order
            for key, cell in zip(reversed(keys), reversed(made)):
                cells[key] = cell
        return cells, made_statuses

    @staticmethod
    def _one_by_one(keys: Sequence, values: Sequence, statuses: Sequence, candidates: Sequence) -> tuple[dict, set]:
        cells: dict[tuple[str, str, str], _Cell] = {}
        plain: dict[tuple[float | None, str], _Cell] = {}
        for key, raw_value, raw_status, raw_cands in zip(keys, values, statuses, candidates):
            if key in cells:
                continue
            value, status = _value_status(raw_value, raw_status)
            if status == UNCERTAIN:
                cells[key] = _Cell(value, status, _parse_candidates(raw_cands))
                continue
            cell = plain.get((value, status))
            if cell is None:
                cell = plain[value, status] = _Cell(value, status, ())
            cells[key] = cell
        return cells, {cell.status for cell in cells.values()}

    @classmethod
    def of_frame(cls, frame: pd.DataFrame | None) -> _Cells:
        if frame is None or frame.empty:
            return cls()
        columns = _cell_columns(frame)
        return cls(_keys_of(*columns[:3]), *columns[3:])

    def has_row(self, table: str, row: str) -> bool:
        return (table, row) in self._rows

    def get(self, table: str, row: str, col: str) -> _Cell | None:
        return self._cells.get((table, row, col))


# --------------------------------------------------------------------------------------
# Judging one linear equation: sum(lhs) = sum(rhs)


class _Term(NamedTuple):
    label: str
    cell: _Cell | None
    signed: bool = False


@dataclass(frozen=True)
class _Outcome:
    verdict: str            # ok / fail / not_assessable
    expected: float | None  # sum of the parts (lhs)
    actual: float | None    # printed total (rhs)
    detail: str
    blanks: tuple[str, ...] = ()
    all_blank: bool = False

    @property
    def diff(self) -> float | None:
        if self.expected is None or self.actual is None:
            return None
        return self.actual - self.expected


def _fmt(x: float | None) -> str:
    if x is None:
        return "空白"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _expr(terms: Sequence[_Term], values: Sequence[float | None], *, skip_zero: bool) -> str:
    parts, zeros = [], 0
    for term, value in zip(terms, values):
        if skip_zero and value == 0 and len(terms) > 4:
            zeros += 1
            continue
        parts.append(f"{term.label}（空白）" if value is None else f"{term.label}{_fmt(value)}")
    text = " + ".join(parts) if parts else "各项"
    if zeros:
        text += "（其余各项为0）"
    return text


def _judge(lhs: Sequence[_Term], rhs: Sequence[_Term], lv: Sequence[float | None], rv: Sequence[float | None],
           tol: float) -> _Outcome:
    values = list(lv) + list(rv)
    terms = list(lhs) + list(rhs)
    blanks = tuple(t.label for t, v in zip(terms, values) if v is None)
    if all(v is None for v in values):
        return _Outcome("not_assessable", None, None, "所涉单元格全部空白（未填报）", blanks, all_blank=True)
    left = sum((v for v in lv if v is not None), 0.0)
    right = sum((v for v in rv if v is not None), 0.0)
    lhs_text = f"{_expr(lhs, lv, skip_zero=True)} = {_fmt(left)}"
    rhs_text = f"{_expr(rhs, rv, skip_zero=True)}" + (f" = {_fmt(right)}" if len(rhs) > 1 else "")
    gap = left - right
    if abs(gap) <= tol:
        note = "（空白单元格按未填报、计为0）" if blanks else ""
        return _Outcome("ok", left, right, f"{lhs_text}，{rhs_text}，一致{note}", blanks)
    signed_blank = any(t.signed and v is None for t, v in zip(terms, values))
    can_fill = signed_blank or (gap > 0 and any(v is None for v in rv)) or (gap < 0 and any(v is None for v in lv))
    base = f"{lhs_text}，但{rhs_text}，相差{_fmt(abs(gap))}"
    if blanks and can_fill:
        return _Outcome("not_assessable", left, right,
                        f"{base}；空白单元格：{'、'.join(blanks)}（未填报）。空白不等于0，"
                        f"只有空白处合计为{_fmt(abs(gap))}时才成立，无法判断", blanks)
    if blanks:
        base += f"（即使空白单元格{'、'.join(blanks)}填入数字也无法成立）"
    return _Outcome("fail", left, right, base, blanks)


def _options(cell: _Cell) -> tuple[float | None, ...]:
    if cell.status != UNCERTAIN:
        return (cell.value,)
    return tuple(dict.fromkeys(((cell.value,) if cell.value is not None else ()) + cell.candidates))


def _side(values: tuple[float | None, ...], signed: Sequence[int]) -> tuple[float, bool, bool, bool]:
    """One side of an equation under one reading: (sum of the filled cells, any blank, all
    blank, a signed cell blank), summed as :func:`_judge` sums it. ``signed``: the positions
    of the signed cells."""
    # filter(None, …) also drops zeros, which add nothing: the same number as _judge's sum
    total = sum(filter(None, values))
    blank = None in values
    return (total, blank, not values or (blank and values.count(None) == len(values)),
            blank and any(values[i] is None for i in signed))


def _verdict(left: tuple[float, bool, bool, bool], right: tuple[float, bool, bool, bool],
             tol: float) -> tuple[str, float]:
    """The verdict :func:`_judge` gives one reading (its two :func:`_side` summaries) and its
    distance from holding (``abs(diff)``, inf when every cell is blank), without a message."""
    lsum, lblank, lall, lsigned = left
    rsum, rblank, rall, rsigned = right
    if lall and rall:
        return "not_assessable", math.inf
    gap = lsum - rsum
    if abs(gap) <= tol:
        return "ok", abs(rsum - lsum)
    if not (lblank or rblank):
        return "fail", abs(rsum - lsum)
    can_fill = lsigned or rsigned or (gap > 0 and rblank) or (gap < 0 and lblank)
    return ("not_assessable" if can_fill else "fail"), abs(rsum - lsum)


def _closest(lefts: Iterable, rights: list, tol: float) -> tuple[tuple, set[str]]:
    """The first reading closest to holding (as ``min`` picks it) and the verdicts of the
    readings: ``lefts``/``rights`` pair each side's readings with their :func:`_side`, in
    ``itertools.product`` order. Stops early once an exact reading is found and the verdicts
    already differ: nothing later can change either result."""
    verdicts: set[str] = set()
    best, best_key = None, math.inf
    for lv, lside in lefts:
        for rv, rside in rights:
            verdict, key = _verdict(lside, rside, tol)
            verdicts.add(verdict)
            if best is None or key < best_key:
                best, best_key = lv + rv, key
            if best_key == 0 and len(verdicts) > 1:
                return best, verdicts
    return best, verdicts


# Above this many readings, whole-number sums are judged per distinct side summary (same result).
_ENUMERATE_UP_TO = 64
# Whole numbers of at most this size add up exactly in any order (a side has far fewer than 2**12 cells).
_EXACT = 2.0 ** 40


def _whole(options: Sequence[tuple[float | None, ...]]) -> bool:
    """Every reading a whole number small enough that sums do not depend on the order of addition."""
    return all(v is None or (v.is_integer() and -_EXACT < v < _EXACT) for o in options for v in o)


def _side_summaries(options: Sequence[tuple[float | None, ...]], signed: Sequence[int]) -> dict[tuple, tuple]:
    """Each distinct :func:`_side` summary of one side's readings -> the positions (index in each
    cell's options) of its first reading in ``itertools.product`` order. Sums must be exact in any
    order (:func:`_whole`)."""
    signed = set(signed)
    # (total, any blank, any filled, a signed cell blank) -> first prefix reaching it. States are
    # kept in the order of their first prefixes: extending them in that order, option by option,
    # meets every state first through its first prefix, and keeps that order.
    states: dict[tuple, tuple[int, ...]] = {(0, False, False, False): ()}
    for pos, opts in enumerate(options):
        is_signed = pos in signed
        grown: dict[tuple, tuple[int, ...]] = {}
        for (total, blank, filled, signed_blank), prefix in states.items():
            for j, v in enumerate(opts):
                state = (total, True, filled, signed_blank or is_signed) if v is None \
                    else ((total + v) if v else total, blank, True, signed_blank)
                if state not in grown:
                    grown[state] = prefix + (j,)
        states = grown
    return {(total, blank, not filled, signed_blank): at for (total, blank, filled, signed_blank), at in states.items()}


def _closest_by_sums(left: Sequence[tuple], right: Sequence[tuple], lsigned: Sequence[int],
                     rsigned: Sequence[int], tol: float) -> tuple[tuple, bool]:
    """:func:`_closest` over the sides' distinct summaries instead of every pair of readings: the
    reading it returns and whether all readings share one verdict. Verdicts depend on the
    summaries only, and the first pair of readings (product order) closest to holding is the
    first pair of first positions, in that order, among the summary pairs closest to holding."""
    lefts, rights = _side_summaries(left, lsigned), _side_summaries(right, rsigned)
    verdicts: set[str] = set()
    best_key, best_at = math.inf, None
    for lside, lat in lefts.items():   # (both in the order of their first positions)
        for rside, rat in rights.items():
            verdict, key = _verdict(lside, rside, tol)
            verdicts.add(verdict)
            if best_at is None or key < best_key:
                best_key, best_at = key, (lat, rat)
    lat, rat = best_at
    best = tuple(o[j] for o, j in zip(left, lat)) + tuple(o[j] for o, j in zip(right, rat))
    return best, len(verdicts) == 1


def _evaluate(lhs: Sequence[_Term], rhs: Sequence[_Term], tol: float) -> _Outcome:
    """Verdict of sum(lhs) = sum(rhs) over the cells' readings (blank, missing and uncertain aware).

    Every combination of readings is judged by number only (:func:`_verdict`); the message is
    written for the one reading shown, the first closest to holding.
    """
    terms = list(lhs) + list(rhs)
    missing = [t.label for t in terms if t.cell is None or t.cell.status == MISSING]
    if missing:
        return _Outcome("not_assessable", None, None, f"缺少单元格：{'、'.join(missing)}（表中未找到该行/列）")
    options = [_options(t.cell) for t in terms]
    unreadable = [t.label for t, o in zip(terms, options) if not o]
    if unreadable:
        return _Outcome("not_assessable", None, None,
                        f"单元格读数不确定且无候选读法：{'、'.join(unreadable)}，需人工核对原文")
    n = math.prod(len(o) for o in options)
    uncertain = [(t, o) for t, o in zip(terms, options) if t.cell.status == UNCERTAIN]
    if n > MAX_READINGS:
        return _Outcome("not_assessable", None, None,
                        f"读数不确定的单元格过多（{'、'.join(t.label for t, _ in uncertain)}），无法逐一核对")
    k = len(lhs)
    if not uncertain:
        combo = tuple(o[0] for o in options)
        return _judge(lhs, rhs, combo[:k], combo[k:], tol)
    # each side summed once per reading of its own cells; pairs in itertools.product order
    lsigned, rsigned = [i for i, t in enumerate(lhs) if t.signed], [i for i, t in enumerate(rhs) if t.signed]
    if n > _ENUMERATE_UP_TO and _whole(options):
        best, single = _closest_by_sums(options[:k], options[k:], lsigned, rsigned, tol)
    else:
        lefts = ((lv, _side(lv, lsigned)) for lv in itertools.product(*options[:k]))
        rights = [(rv, _side(rv, rsigned)) for rv in itertools.product(*options[k:])]
        best, verdicts = _closest(lefts, rights, tol)
        single = len(verdicts) == 1
    # shown: the reading closest to satisfying the rule (the first candidates may be absurd splits)
    first = _judge(lhs, rhs, best[:k], best[k:], tol)
    desc = "、".join(f"{t.label}（候选{'/'.join(_fmt(v) for v in o)}）" for t, o in uncertain)
    if single:
        verdict = "所有候选读法组合均成立" if first.verdict == "ok" else "所有候选读法组合结论相同"
        return _Outcome(first.verdict, first.expected, first.actual,
                        f"读数不确定的单元格{desc}，{verdict}（最接近成立的一种：{first.detail}）",
                        first.blanks, first.all_blank)
    return _Outcome("not_assessable", first.expected, first.actual,
                    f"读数不确定的单元格{desc}，不同读法结论不同（例如：{first.detail}），需人工核对原文",
                    first.blanks)


# --------------------------------------------------------------------------------------
# Findings


def _finding(report_id: str, source: str, rule: Rule, table: str, row_label: str, col_label: str,
             severity: str, message: str, expected: float | None = None, actual: float | None = None,
             diff: float | None = None) -> dict:
    return {"report_id": report_id, "source": source, "rule": rule.id, "table": table, "row_label": row_label,
            "col_label": col_label, "expected": expected, "actual": actual, "diff": diff, "severity": severity,
            "message": message}


def _severity(rule: Rule, outcome: _Outcome) -> str:
    return rule.severity if outcome.verdict == "fail" else outcome.verdict


def _collect(rule: Rule, report_id: str, source: str, table: str,
             results: list[tuple[str, str, str, _Outcome]], what: str) -> list[dict]:
    """Rows for one rule: one per failing / undecidable item, all-blank items and passes grouped."""
    rows, passed, blank_items, with_blanks = [], [], [], 0
    for item, row_label, col_label, outcome in results:
        if outcome.all_blank:
            blank_items.append(item)
        elif outcome.verdict == "ok":
            passed.append(item)
            with_blanks += bool(outcome.blanks)
        else:
            sev = _severity(rule, outcome)
            rows.append(_finding(report_id, source, rule, table, row_label, col_label, sev,
                                 f"{TABLE_NAMES.get(table, table)}{item}：{outcome.detail}",
                                 outcome.expected, outcome.actual, outcome.diff))
    if blank_items:
        rows.append(_finding(report_id, source, rule, table, "", "", "not_assessable",
                             f"{TABLE_NAMES.get(table, table)}以下{what}全部空白（未填报），无法核对"
                             f"「{rule.description}」：{'、'.join(blank_items)}"))
    if passed:
        note = f"（其中{with_blanks}项含空白单元格，按未填报计为0）" if with_blanks else ""
        rows.append(_finding(report_id, source, rule, table, "", "", "ok",
                             f"{TABLE_NAMES.get(table, table)}已核对{len(passed)}{what}，全部成立{note}："
                             f"{rule.description}"))
    return rows


def _item_name(over: str, layout: _Layout, code: str) -> tuple[str, str, str]:
    """(item text for messages, row_label, col_label) of one iterated row or column."""
    if over == "columns":
        label = layout.col_labels.get(code, code)
        return f"「{label}」列", "", label
    label = layout.row_labels.get(code, code)
    return f"「{label}」行", label, ""


@lru_cache(maxsize=4096)
def _term_keys(table: str, template: str | None, over: str, item: str,
               codes: tuple[str, ...]) -> tuple[tuple[str, tuple[str, str, str], bool, bool], ...]:
    """(label, cell key, of last year's report, signed) of each term of one item's side of a rule
    (immutable, cached)."""
    layout = _layout(table, template)
    keys = []
    for spec in codes:
        code, _, when = spec.partition("@")
        row, col = (code, item) if over == "columns" else (item, code)
        label = layout.short.get(row, row) if over == "columns" else layout.col_labels.get(col, col)
        if when == "t-1":
            label = f"上年报告{label}"
        keys.append((label, (table, row, col), when == "t-1", col == "change"))
    return tuple(keys)


_ALL_BLANK = _Outcome("not_assessable", None, None, "所涉单元格全部空白（未填报）", all_blank=True)
# A sum that holds over certain cells: _collect reads only the verdict and whether blanks took part.
_HOLDS, _HOLDS_WITH_BLANKS = _Outcome("ok", None, None, ""), _Outcome("ok", None, None, "", ("空白",))


def _quick_outcome(lhs: list, rhs: list, tol: float) -> _Outcome | None:
    """The outcome of one equation when it needs no message: every cell certain (ok or blank) and
    the sum holding, or every cell blank; else None (:func:`_evaluate` judges it). ``lhs``/``rhs``:
    the sides' :attr:`_Cells.values`, summed as :func:`_judge` sums them (zeros, which add
    nothing, left out)."""
    if _NOT_CERTAIN in lhs or _NOT_CERTAIN in rhs:
        return None
    blanks = lhs.count(None) + rhs.count(None)
    if blanks == len(lhs) + len(rhs):
        return _ALL_BLANK
    if abs(sum(filter(None, lhs), 0.0) - sum(filter(None, rhs), 0.0)) <= tol:
        return _HOLDS_WITH_BLANKS if blanks else _HOLDS
    return None


def _side_terms(keys: tuple, cur: _Cells, prev: _Cells) -> list[_Term]:
    now, before = cur._cells, prev._cells
    return [_Term(label, (before if last_year else now).get(key), signed) for label, key, last_year, signed in keys]


def _outcome(lhs: tuple, rhs: tuple, cur: _Cells, prev: _Cells, tol: float) -> _Outcome:
    """The outcome of one item's equation (:func:`_term_keys` of its sides) across two reports."""
    now, before = cur.values, prev.values
    quick = _quick_outcome([(before if last_year else now).get(key, _NOT_CERTAIN) for _, key, last_year, _ in lhs],
                           [(before if last_year else now).get(key, _NOT_CERTAIN) for _, key, last_year, _ in rhs],
                           tol)
    if quick is not None:
        return quick
    return _evaluate(_side_terms(lhs, cur, prev), _side_terms(rhs, cur, prev), tol)


@lru_cache(maxsize=256)
def _sum_plan(table: str, over: str, template: str | None, rows: tuple[str, ...], items: str | tuple,
              lhs: tuple[str, ...], rhs: tuple[str, ...]) -> tuple[tuple, ...]:
    """(item name, row_label, col_label, lhs terms, rhs terms, lhs cell keys, rhs cell keys) per item
    of a sum_equals rule on a table with ``rows`` (immutable, cached)."""
    layout = _layout(table, template)
    chosen = list(layout.cols if over == "columns" else rows) if items == "all" \
        else _expand(items, layout.cols if over == "columns" else rows)
    available = rows if over == "columns" else layout.cols
    lhs_codes, rhs_codes = tuple(_expand(lhs, available)), tuple(_expand(rhs, available))
    plan = []
    for item in chosen:
        name, row_label, col_label = _item_name(over, layout, item)
        if over == "columns":
            row_label = "、".join(layout.row_labels.get(c, c) for c in rhs_codes)
        else:
            col_label = "、".join(layout.col_labels.get(c, c) for c in rhs_codes)
        lhs = _term_keys(table, template, over, item, lhs_codes)
        rhs = _term_keys(table, template, over, item, rhs_codes)
        plan.append((name, row_label, col_label, lhs, rhs, tuple(t[1] for t in lhs), tuple(t[1] for t in rhs)))
    return tuple(plan)


def _run_sum_equals(rule: Rule, cells: _Cells, template: str | None, report_id: str, source: str) -> list[dict]:
    p = rule.params
    table, over = p["table"], p["over"]
    if table not in cells.tables:
        return []
    items = p["items"] if isinstance(p["items"], str) else tuple(p["items"])
    plan = _sum_plan(table, over, template, _rows_for(table, template, cells), items, tuple(p["lhs"]),
                     tuple(p["rhs"]))
    tol, get = rule.tolerance, cells.values.get
    results = []
    for name, row_label, col_label, lhs, rhs, lhs_keys, rhs_keys in plan:
        outcome = _quick_outcome([get(k, _NOT_CERTAIN) for k in lhs_keys], [get(k, _NOT_CERTAIN) for k in rhs_keys],
                                 tol)
        if outcome is None:
            outcome = _evaluate(_side_terms(lhs, cells, cells), _side_terms(rhs, cells, cells), tol)
        results.append((name, row_label, col_label, outcome))
    return _collect(rule, report_id, source, table, results, "列" if over == "columns" else "行")


# --------------------------------------------------------------------------------------
# Text against tables (X4) and mentions (X5)

# Figures are judged within their comma-level clause (and a preceding "与上年相比，" clause).
_CLAUSE_END = re.compile(r"[，,。；;！？!?\n（）()]")
_COMPARISON = re.compile(r"(?:相比|比较|对比|同比|相较)\s*[，,]\s*$")
# A figure about last year or a running total is not this year's table value.
_OTHER_PERIOD = re.compile(r"上年|去年|上一年|同比|同期|累计|历年|以来|较")
# A figure about one kind of applicant is not the table's 总计.
_APPLICANT_KIND = re.compile(r"自然人|企业|法人|组织|机构|个人|公民|律师")
_ALL_APPLICANTS = re.compile(r"(?:公民|自然人)、?法人(?:和|或|及|、)其他组织")
_FILLER = r"(?:答复|决定|[的共有计为是了达\s])*"
_SOFT_BREAK = re.compile(r"(?<![。；;！？!?：:\n])[ \t\u3000]*\n[ \t\u3000]*(?!\n)")
_UNIT = r"(件|条|个|份|宗|起|次|项)"
_APPLICANT_COLS = ("natural", "business", "research", "public_interest", "legal_services", "other_org")
_TABLE4_PARTS = ("upheld", "corrected", "other", "pending")


def _narrative_text(report: Report, section_codes: Sequence[str]) -> str:
    """Text of the given sections with table blocks cut out (whole text when no sections were found)."""
    spans = [(s.start, s.end) for s in report.sections if s.code in section_codes]
    if not report.sections:
        spans = [(0, len(report.text))]
    tables = sorted((b.start, b.end) for b in report.blocks if b.kind == "table" and b.end > b.start)
    pieces = []
    for start, end in spans:
        pos = start
        for t_start, t_end in tables:
            if t_end <= pos or t_start >= end:
                continue
            pieces.append(report.text[pos:max(pos, t_start)])
            pos = max(pos, t_end)
        pieces.append(report.text[pos:end])
    # PDF and crawled text break lines inside sentences ("申请 34\n件"): rejoin them
    return _SOFT_BREAK.sub("", "\n".join(pieces))


def _row_values(cells: _Cells, table: str, row: str) -> tuple[set[float], bool, bool]:
    """Possible 总计 values of one row: the 总计 cell and the sum of its parts; (values, blank, uncertain)."""
    parts = _APPLICANT_COLS if table == "table3" else _TABLE4_PARTS
    total = cells.get(table, row, "total")
    part_cells = [cells.get(table, row, c) for c in parts]
    uncertain = any(c is not None and c.status == UNCERTAIN for c in [total, *part_cells])
    values = set()
    if total is not None and total.value is not None and total.status != MISSING:
        values.add(total.value)
    filled = [c.value for c in part_cells if c is not None and c.value is not None and c.status != MISSING]
    if filled:
        values.add(sum(filled))
    return values, not values, uncertain


def _reading(cells: _Cells, template: str | None, refs: Sequence[str]) -> tuple[set[float], list[str], bool, bool]:
    """Possible values of a sum of table rows, a breakdown text, and whether blank / uncertain cells took part."""
    sums, parts, any_blank, any_uncertain = {0.0}, [], False, False
    for ref in refs:
        table, _, pattern = ref.partition(":")
        if table not in cells.tables:
            return set(), [], True, False
        layout = _layout(table, template)
        for row in _expand([pattern], _rows_for(table, template, cells)):
            values, blank, uncertain = _row_values(cells, table, row)
            any_uncertain |= uncertain
            if blank:
                any_blank = True
                continue
            sums = {s + v for s in sums for v in values}
            parts.append(f"{layout.short.get(row, row)}{'/'.join(_fmt(v) for v in sorted(values))}")
    return sums, parts, any_blank, any_uncertain


@lru_cache(maxsize=64)
def _figure_pattern(cue: str) -> re.Pattern:
    """A figure quoted after ``cue`` (a regex from the rules): the number in group 1, then its unit."""
    return re.compile(f"(?:{cue}){_FILLER}({NUMBER_PATTERN})\\s*{_UNIT}")


def _run_text_matches(rule: Rule, report: Report, cells: _Cells, template: str | None) -> list[dict]:
    if "table3" not in cells.tables and "table4" not in cells.tables:
        return []
    text = _narrative_text(report, rule.params.get("sections", ("一",)))
    taken: list[tuple[int, int]] = []
    rows, agreed, seen = [], [], set()
    for fig in rule.params["figures"]:
        for m in _figure_pattern(fig["cue"]).finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            clause_start = max((c.end() for c in _CLAUSE_END.finditer(text, 0, m.start())), default=0)
            clause = text[clause_start:m.start()]
            compared = _COMPARISON.search(text[max(0, clause_start - 20):clause_start])
            about_one_kind = _APPLICANT_KIND.search(_ALL_APPLICANTS.sub("", clause + m.group(0)))
            if compared or _OTHER_PERIOD.search(clause) or about_one_kind:
                continue
            quoted = parse_zh_number(m.group(1))
            if quoted is None or (fig["name"], quoted) in seen:
                continue
            seen.add((fig["name"], quoted))
            possible, breakdown, blank, uncertain = set(), [], False, False
            for refs in fig["readings"]:
                sums, parts, b, u = _reading(cells, template, refs)
                if not parts:
                    continue
                possible |= sums
                blank |= b
                uncertain |= u
                breakdown = breakdown or parts
            if not possible:
                continue
            snippet = m.group(0).strip()
            if any(abs(quoted - v) <= rule.tolerance for v in possible):
                agreed.append(f"{fig['label']}{quoted}")
                continue
            first = _reading(cells, template, fig["readings"][0])
            table = fig["readings"][0][0].partition(":")[0]
            table_value = min(first[0], key=lambda v: abs(v - quoted)) if first[1] else None
            detail = (f"正文称「{snippet}」，但{TABLE_NAMES[table]}中{fig['label']}为"
                      f"{_fmt(table_value)}（{' + '.join(first[1])}）")
            if blank or uncertain or table_value is None:
                why = "部分相关单元格空白" if blank else "部分相关单元格读数不确定"
                rows.append(_finding(report.report_id, report.source, rule, table, fig["label"], "总计",
                                     "not_assessable", f"{detail}；{why}，无法判断", table_value,
                                     float(quoted), None))
            else:
                rows.append(_finding(report.report_id, report.source, rule, table, fig["label"], "总计",
                                     rule.severity, f"{detail}，相差{_fmt(abs(quoted - table_value))}",
                                     table_value, float(quoted), float(quoted) - table_value))
    if agreed:
        rows.append(_finding(report.report_id, report.source, rule, "", "", "", "ok",
                             f"正文引用的{len(agreed)}个数字与表格一致：{'、'.join(agreed)}"))
    return rows


def _run_requires_mention(rule: Rule, report: Report, cells: _Cells, template: str | None) -> list[dict]:
    p = rule.params
    table, row, col = p["table"], p["when"]["row"], p["when"]["col"]
    if table not in cells.tables or row not in _layout(table, template).rows:
        return []
    if col != "total":
        raise ValidationError(f"rule {rule.id}: 'when' must name a row's total column (col: total)")
    values, blank, _ = _row_values(cells, table, row)
    if blank or max(values) <= 0:
        return []
    layout = _layout(table, template)
    count = _fmt(max(values))
    label = layout.short.get(row, row)
    section = report.section(p["section"])
    if section is None:
        return [_finding(report.report_id, report.source, rule, table, layout.row_labels[row], "总计",
                         "not_assessable", f"{TABLE_NAMES[table]}「{label}」为{count}件，但未识别出第{p['section']}部分，"
                         "无法核对是否说明了收费情况")]
    if re.search(p["pattern"], report.section_text(p["section"])):
        return [_finding(report.report_id, report.source, rule, table, layout.row_labels[row], "总计", "ok",
                         f"{TABLE_NAMES[table]}「{label}」为{count}件，第{p['section']}部分说明了收费情况")]
    return [_finding(report.report_id, report.source, rule, table, layout.row_labels[row], "总计", rule.severity,
                     f"{TABLE_NAMES[table]}「{label}」为{count}件（申请人逾期未缴费），但第{p['section']}部分"
                     "未提及收费、缴费或信息处理费", actual=max(values))]


# --------------------------------------------------------------------------------------
# Completeness (C1–C4)


def _run_present(rule: Rule, report: Report, cells: _Cells, template: str | None,
                 report_id: str, source: str) -> list[dict]:
    p = rule.params
    if template not in p.get("templates", STANDARD_TEMPLATES):
        return []
    what = p["what"]
    if what == "sections":
        found = {s.code for s in report.sections}
        absent = [c for c in p["items"] if c not in found]
        if absent:
            return [_finding(report_id, source, rule, "", "", "", rule.severity,
                             f"未识别出以下部分：{'、'.join('第' + c + '部分' for c in absent)}"
                             "（报告可能缺少该部分，或标题写法不规范）")]
        return [_finding(report_id, source, rule, "", "", "", "ok", "六个部分齐全")]
    if what == "tables":
        rows = []
        for table in p["items"]:
            if table not in cells.tables:
                rows.append(_finding(report_id, source, rule, table, "", "", rule.severity,
                                     f"未找到{TABLE_NAMES[table]}（{TABLE_TITLES[table]}）：报告可能缺少该表，"
                                     "或表格以图片、附件形式发布，需人工核对"))
        present = [TABLE_NAMES[t] for t in p["items"] if t in cells.tables]
        if present:
            rows.append(_finding(report_id, source, rule, "", "", "", "ok", f"找到{'、'.join(present)}"))
        return rows
    if what == "rows":
        rows = []
        for table in p["items"]:
            if table not in cells.tables:
                continue
            layout = _layout(table, template)
            expected_rows = _rows_for(table, template, cells)
            absent = [r for r in expected_rows
                      if all((cell := cells.get(table, r, c)) is None or cell.status == MISSING
                             for c in layout.cols if table != "table2" or (r, c) in layout.cells)]
            if absent:
                rows.append(_finding(report_id, source, rule, table, "、".join(layout.row_labels[r] for r in absent), "",
                                     rule.severity, f"{TABLE_NAMES[table]}缺少模板规定的行："
                                     f"{'、'.join(layout.row_labels[r] for r in absent)}"))
            else:
                rows.append(_finding(report_id, source, rule, table, "", "", "ok",
                                     f"{TABLE_NAMES[table]}模板规定的{len(expected_rows)}行齐全"))
        return rows
    raise ValidationError(f"rule {rule.id}: unknown 'what' {what!r}; use sections, tables or rows")


def _run_cells_certain(rule: Rule, cells: _Cells, template: str | None, report_id: str, source: str) -> list[dict]:
    rows = []
    for table in rule.params["items"]:
        layout = _layout(table, template)
        uncertain = []
        for t, r, c in cells.uncertain:
            if t == table:
                cell = cells.get(t, r, c)
                cands = "/".join(_fmt(v) for v in cell.candidates) or "无"
                chosen = "" if cell.value is None else f"取{_fmt(cell.value)}，"
                uncertain.append(f"{layout.short.get(r, r)}·{layout.col_labels.get(c, c)}（{chosen}候选{cands}）")
        if uncertain:
            rows.append(_finding(report_id, source, rule, table, "", "", rule.severity,
                                 f"{TABLE_NAMES[table]}有{len(uncertain)}个单元格读数不确定，需人工核对原文："
                                 f"{'；'.join(uncertain)}"))
    return rows


# --------------------------------------------------------------------------------------
# Public API


def _frame_of(tables: pd.DataFrame | None, report_id: str) -> pd.DataFrame:
    if tables is None or tables.empty or "report_id" not in tables.columns:
        return pd.DataFrame()
    rid = str(report_id)
    if all(type(i) is str and i == rid for i in tables["report_id"].tolist()):
        return tables   # the usual call: the report's own tables (only read here)
    return tables[tables["report_id"].astype(str) == rid]


def _frame_template(frame: pd.DataFrame) -> str | None:
    if frame.empty or "template" not in frame.columns:
        return None
    values = frame["template"].dropna().astype(str)
    return template_key(values.iloc[0]) if len(values) else None


def _is_na(value: Any) -> bool:
    return value is None or value is pd.NA or (type(value) is float and value != value)


def _report_cells(tables: pd.DataFrame | dict | None, report_id: str) -> tuple[_Cells, str | None]:
    """The cells of ``report_id`` in ``tables`` (a TABLE_COLUMNS frame or the columns of
    :func:`gdtools.tables.table_columns`) and the template its first templated row names."""
    if not isinstance(tables, dict):
        frame = _frame_of(tables, report_id)
        return _Cells.of_frame(frame), _frame_template(frame)
    ids = tables.get("report_id")
    ids = [] if ids is None else ids if isinstance(ids, list) else list(ids)
    rid = str(report_id)
    picks = None if ids.count(rid) == len(ids) else [n for n, i in enumerate(ids) if str(i) == rid]
    if not ids or picks == []:
        return _Cells(), None
    n = len(ids)

    def column(name: str) -> list:
        values = tables.get(name)
        values = [None] * n if values is None else values if isinstance(values, list) else list(values)
        return values if picks is None else [values[i] for i in picks]

    keys = _keys_of(column("table"), column("row_code"), column("col_code"))
    cells = _Cells(keys, column("value"), column("status"), column("candidates"))
    template = next((template_key(str(t)) for t in column("template") if not _is_na(t)), None)
    return cells, template


def _empty_findings() -> pd.DataFrame:
    numeric = ("expected", "actual", "diff")
    return pd.DataFrame({c: np.empty(0, dtype="float64" if c in numeric else "object") for c in FINDING_COLUMNS})


def _columns(rows: list[dict]) -> dict[str, list]:
    return {c: [r[c] for r in rows] for c in FINDING_COLUMNS}


def _findings_frame(columns: dict[str, list]) -> pd.DataFrame:
    """The FINDING_COLUMNS frame of findings given as columns (``expected``, ``actual``, ``diff``
    as float64, None read as NaN)."""
    if not columns["report_id"]:
        return _empty_findings()
    numeric = ("expected", "actual", "diff")
    return pd.DataFrame({c: np.array(columns[c], dtype="float64") if c in numeric else columns[c]
                         for c in FINDING_COLUMNS})


def _to_frame(rows: list[dict]) -> pd.DataFrame:
    return _findings_frame(_columns(rows))


def validate_report_columns(report: Report, tables: pd.DataFrame | dict | None = None) -> dict[str, list]:
    """In-report findings (R1–R4, X4, X5, C1–C4) of ``report`` as columns: FINDING_COLUMNS
    in order, each a list of plain values (None where the frame holds NaN).

    ``tables`` is a TABLE_COLUMNS frame or the columns :func:`gdtools.tables.table_columns`
    returns; it may hold many reports, only the rows of ``report.report_id`` are used. When
    None, the tables are extracted here with :func:`gdtools.tables.table_columns`.
    """
    if tables is None:
        from .tables import table_columns

        tables = table_columns(report)
    cells, frame_template = _report_cells(tables, report.report_id)
    template = template_key(report.template) or frame_template
    year = report.meta("year")
    completeness_template = template or template_key(None, year)
    rows: list[dict] = []
    for rule in load_rules():
        if rule.kind == "sum_equals":
            rows += _run_sum_equals(rule, cells, template, report.report_id, report.source)
        elif rule.kind == "text_matches_table":
            rows += _run_text_matches(rule, report, cells, template)
        elif rule.kind == "requires_mention":
            rows += _run_requires_mention(rule, report, cells, template)
        elif rule.kind == "present":
            rows += _run_present(rule, report, cells, completeness_template, report.report_id, report.source)
        elif rule.kind == "cells_certain":
            rows += _run_cells_certain(rule, cells, template, report.report_id, report.source)
    return _columns(rows)


def validate_report(report: Report, tables: pd.DataFrame | dict | None = None) -> pd.DataFrame:
    """In-report findings (R1–R4, X4, X5, C1–C4) of ``report`` given its tables: the frame of
    :func:`validate_report_columns`."""
    return _findings_frame(validate_report_columns(report, tables))


def _name(rec: dict) -> str:
    """A report as a reader finds it: the file name, else the report id."""
    source = rec.get("source")
    if isinstance(source, str) and source:
        return re.split(r"[\\/]", source)[-1]
    return str(rec["report_id"])


@lru_cache(maxsize=256)
def _cross_year_plan(table: str, over: str, items: str | tuple[str, ...], lhs_codes: tuple[str, ...],
                     rhs_codes: tuple[str, ...], cur_t: str | None, prev_t: str | None) -> tuple[tuple, ...]:
    """(item name, row_label, col_label, lhs terms, rhs terms) of each compared item of a cross-year
    rule between two template versions (immutable, cached)."""
    layout = _layout(table, cur_t)
    prev_layout = _layout(table, prev_t)
    codes = list(layout.cols if over == "columns" else layout.rows) if items == "all" \
        else _expand(items, layout.rows if over == "rows" else layout.cols)
    if over == "rows":
        codes = [i for i in codes if i in prev_layout.rows]
    return tuple((*_item_name(over, layout, item), _term_keys(table, cur_t, over, item, lhs_codes),
                  _term_keys(table, cur_t, over, item, rhs_codes)) for item in codes)


def _cross_year(rule: Rule, cur: _Cells, prev: _Cells, cur_t: str | None, prev_t: str | None,
                cur_row: dict, prev_row: dict, prev_name: str, years: str) -> list[dict]:
    """Findings of one cross-year rule for ``cur_row`` against ``prev_row`` (named ``prev_name``
    in messages; ``years``: the two years, as the messages start)."""
    p = rule.params
    table, over = p["table"], p["over"]
    allowed = p.get("templates", STANDARD_TEMPLATES)
    if cur_t not in allowed:
        return []
    rid, source = str(cur_row["report_id"]), str(cur_row.get("source", "") or "")
    if prev_t not in allowed:
        if prev_t in STANDARD_TEMPLATES:
            return []  # the table's rows/columns changed between template versions: nothing comparable
        return [_finding(rid, source, rule, table, "", "", "not_assessable",
                         f"{years}：上一年度报告（{prev_name}）不是2019年起的统一格式（旧格式或未识别），"
                         f"无法核对「{rule.description}」")]
    for which, cells in (("上一年度", prev), ("本年度", cur)):
        if table not in cells.tables:
            return [_finding(rid, source, rule, table, "", "", "not_assessable",
                             f"{years}：{which}报告中未找到{TABLE_NAMES[table]}，无法核对「{rule.description}」")]
    items = p["items"] if isinstance(p["items"], str) else tuple(p["items"])
    plan = _cross_year_plan(table, over, items, tuple(p["lhs"]), tuple(p["rhs"]), cur_t, prev_t)
    results = [(f"{years}{name}", row_label, col_label, _outcome(lhs, rhs, cur, prev, rule.tolerance))
               for name, row_label, col_label, lhs, rhs in plan]
    rows = _collect(rule, rid, source, table, results, "列" if over == "columns" else "行")
    for row in rows:
        if row["severity"] == "ok":
            row["message"] = f"{years}（对照上一年度报告{prev_name}）" + row["message"]
    return rows


def _runs(column: list, runs: list[tuple[int, int]]) -> list:
    """The items of ``column`` in the (start, end) ``runs``, in order."""
    if len(runs) == 1:
        return column[runs[0][0]:runs[0][1]]
    return [item for a, b in runs for item in column[a:b]]


def _bounds(*columns: pd.Series) -> list[int]:
    """0, each row position where a run of rows with equal values in all ``columns`` starts, and the
    length (an NA row is a run of its own)."""
    n = len(columns[0])
    change = np.zeros(max(n - 1, 0), dtype=bool)
    for column in columns:
        codes = pd.factorize(column)[0]
        change |= (codes[1:] != codes[:-1]) | (codes[1:] < 0)
    return [0, *(np.flatnonzero(change) + 1).tolist(), n]


def _spans(ids: pd.Series, keep: set[str]) -> dict[str, list[tuple[int, int]]]:
    """(start, end) runs of the rows of each id (as text) in ``keep``, positions in ``ids``."""
    if ids.empty:
        return {}
    bounds = _bounds(ids)
    spans: dict[str, list[tuple[int, int]]] = {}
    for rid, start, end in zip(map(str, ids.take(bounds[:-1]).tolist()), bounds, bounds[1:]):
        if rid in keep:
            spans.setdefault(rid, []).append((start, end))
    return spans


def _first_templates(tables: pd.DataFrame, keep: set[str]) -> dict[str, str | None]:
    """The template of the first row with one of each report in ``keep``."""
    if "template" not in tables.columns:
        return {}
    named = tables.loc[tables["template"].notna(), ["report_id", "template"]]
    templates: dict[str, str | None] = {}
    firsts = {rid: runs[0][0] for rid, runs in _spans(named["report_id"], keep).items()}
    for rid, value in zip(firsts, named["template"].take(list(firsts.values())).tolist()):
        templates[rid] = template_key(str(value))
    return templates


@cache
def _cross_year_keys() -> tuple[frozenset, frozenset, frozenset]:
    """Tables, row codes and column codes of every cell a cross-year rule may read."""
    keys = set()
    for rule in load_rules():
        if rule.kind != "cross_year_equals":
            continue
        p = rule.params
        table, over = p["table"], p["over"]
        codes = tuple(p["lhs"]) + tuple(p["rhs"])
        for template in (*STANDARD_TEMPLATES, None):
            layout = _layout(table, template)
            items = list(layout.cols if over == "columns" else layout.rows) if p["items"] == "all" \
                else _expand(p["items"], layout.rows if over == "rows" else layout.cols)
            keys.update(key for item in items for _, key, _, _ in _term_keys(table, template, over, item, codes))
    return tuple(frozenset(k[i] for k in keys) for i in range(3))


def _corpus_cells(tables: pd.DataFrame, needed: set[str], grouped: set[str]) -> tuple[dict, dict]:
    """Cells of the ``needed`` reports for the cross-year rules, and hashes of the rows of the
    ``grouped`` ones (which may be copies).

    The cross-year rules read few cells: a report's lookup holds only those, and which tables
    it has. Reports that may be copies (compared by all their cells) and reports with missing
    cells (a table with only missing cells is absent) get all their cells.
    """
    ids = tables["report_id"]
    spans = _spans(ids, needed)
    whole = set(grouped)
    if "status" in tables.columns:
        missing = tables["status"].eq("missing").to_numpy(dtype=bool, na_value=False)
        whole.update(map(str, ids[missing].tolist()))
    whole &= spans.keys()
    cells: dict[str, _Cells] = {}
    hashes: dict[str, int] = {}
    if whole:
        rows = [i for rid in whole for a, b in spans[rid] for i in range(a, b)]
        rows.sort()
        part = tables.iloc[rows]
        columns = _cell_columns(part)
        for rid, runs in _spans(part["report_id"], whole).items():
            keys = _keys_of(*[_runs(column, runs) for column in columns[:3]])
            mine = [keys.keys, *[_runs(column, runs) for column in columns[3:]]]
            cells[rid] = _Cells(keys, *mine[1:])
            if rid in grouped:
                try:
                    hashes[rid] = hash(tuple(map(tuple, mine)))
                except TypeError:   # an unhashable value: compared by cells alone
                    hashes[rid] = 0
    rest = {rid for rid in spans if rid not in whole}
    if not rest:
        return cells, hashes
    # which tables each report has (its rows' tables: none of its cells is missing)
    has: dict[str, set[str]] = {rid: set() for rid in rest}
    if "table" in tables.columns:
        starts = _bounds(ids, tables["table"])[:-1]
        for rid, name in zip(map(str, ids.take(starts).tolist()), tables["table"].take(starts).tolist()):
            if rid in has:
                has[rid].add(str(name))
    else:
        for rid in has:
            has[rid].add("None")
    wanted_tables, wanted_rows, wanted_cols = _cross_year_keys()
    keep = np.ones(len(tables), dtype=bool)
    for name, wanted in (("table", wanted_tables), ("row_code", wanted_rows), ("col_code", wanted_cols)):
        if name in tables.columns:
            keep &= tables[name].astype(str).isin(wanted).to_numpy(dtype=bool, na_value=False)
        else:
            keep[:] = False   # read as "None": no rule's cell
    part = tables[keep]
    columns = _cell_columns(part)
    part_spans = _spans(part["report_id"], rest)
    for rid in rest:
        runs = part_spans.get(rid)
        cells[rid] = _Cells(_keys_of(*[_runs(column, runs) for column in columns[:3]]),
                            *[_runs(column, runs) for column in columns[3:]]) if runs else _Cells()
        cells[rid].tables = has[rid]
    return cells, hashes



def validate_corpus(tables: pd.DataFrame | None, reports_frame: pd.DataFrame) -> pd.DataFrame:
    """Cross-year findings (X1–X3) from frames only.

    ``reports_frame`` needs ``report_id``, ``agency``, ``year`` and ``template`` (REPORT_COLUMNS);
    reports group by :func:`gdtools.agency.normalize_agency` of the agency, and each report is
    compared with every report of the same agency for the previous year. Copies among those
    (same template and cells: one report downloaded as HTML and PDF, say) are compared once, with
    the first in frame order, whose name in the messages counts the others; copies of this year's
    report get the same findings under their own id. So the work and the findings grow linearly
    with the copies of an agency-year. Rows with a ``status`` other than ``ok`` are ignored.
    Findings belong to the later report.
    """
    if reports_frame is None or reports_frame.empty:
        return _empty_findings()
    frame = reports_frame
    if "status" in frame.columns:
        frame = frame[frame["status"].fillna("ok").astype(str).isin(["ok", ""])]
    by_key: dict[tuple[str, int], list[dict]] = {}
    # the columns read, as records of plain values
    names = [c for c in ("report_id", "source", "agency", "year", "template") if c in frame.columns]
    for rec in (dict(zip(names, values)) for values in zip(*(frame[c].tolist() for c in names))):
        agency, year = normalize_agency(rec.get("agency")), _as_int(rec.get("year"))
        if agency and year is not None:
            by_key.setdefault((agency, year), []).append(rec)
    # each compared report's cells and first template, from the frame's columns read once
    needed = {str(rec["report_id"]) for (agency, year), recs in by_key.items()
              if (agency, year - 1) in by_key or (agency, year + 1) in by_key for rec in recs}
    # reports in an agency-year with other reports may be copies: a hash of their rows tells
    # (reports with different hashes differ; equal hashes are confirmed by comparing cells)
    grouped = {str(rec["report_id"]) for recs in by_key.values() if len(recs) > 1 for rec in recs}
    cells: dict[str, _Cells] = {}
    hashes: dict[str, int] = {}
    frame_templates: dict[str, str | None] = {}
    if needed and tables is not None and not tables.empty and "report_id" in tables.columns:
        frame_templates = _first_templates(tables, needed)
        cells, hashes = _corpus_cells(tables, needed, grouped)
    cells.update((rid, _Cells()) for rid in needed if rid not in cells)

    templates: dict[int, str | None] = {}

    def template_of(rec: dict) -> str | None:
        if id(rec) not in templates:
            templates[id(rec)] = template_key(rec.get("template")) or frame_templates.get(str(rec["report_id"]))
        return templates[id(rec)]

    def copies(recs: list[dict]) -> list[list[dict]]:
        """``recs`` grouped into copies (same template and cells), groups and members in frame order."""
        if len(recs) == 1:
            return [recs]
        groups: list[list[dict]] = []
        by_hash: dict[tuple, list[list[dict]]] = {}
        for rec in recs:
            rid = str(rec["report_id"])
            alike = by_hash.setdefault((template_of(rec), hashes.get(rid, 0)), [])
            for group in alike:
                if cells[str(group[0]["report_id"])]._cells == cells[rid]._cells:
                    group.append(rec)
                    break
            else:
                alike.append([rec])
                groups.append(alike[-1])
        return groups

    rows: list[dict] = []
    rules = [r for r in load_rules() if r.kind == "cross_year_equals"]
    for (agency, year), current in sorted(by_key.items()):
        previous = by_key.get((agency, year - 1), [])
        if not previous:
            continue
        years = f"{year - 1}→{year}年"
        # copies of last year's report (one report as HTML and PDF, say) compare alike: each
        # distinct content once, with its first copy, the message counting the others
        this_year = {id(rec): group for group in copies(current) for rec in group}
        for same in copies(previous):
            prev_rec = same[0]
            prev_t, prev_cells = template_of(prev_rec), cells[str(prev_rec["report_id"])]
            prev_name = _name(prev_rec) + (f"及表格相同的另外{len(same) - 1}份" if len(same) > 1 else "")
            # this year's copies get the findings of their first copy, under their own id
            done: dict[int, list[dict]] = {}
            for cur_rec in current:
                rid, source = str(cur_rec["report_id"]), str(cur_rec.get("source", "") or "")
                group = id(this_year[id(cur_rec)])
                if group in done:
                    rows += [{**row, "report_id": rid, "source": source} for row in done[group]]
                    continue
                found = done[group] = []
                for rule in rules:
                    found += _cross_year(rule, cells[rid], prev_cells, template_of(cur_rec), prev_t,
                                         cur_rec, prev_rec, prev_name, years)
                rows += found
    return _to_frame(rows)


def _reports_frame(reports: Sequence[Report]) -> pd.DataFrame:
    return pd.DataFrame([{"report_id": r.report_id, "source": r.source, "agency": r.meta("agency"),
                          "year": r.meta("year"), "template": r.template, "status": "ok"} for r in reports])


def validate(reports: Report | Iterable[Report], tables: pd.DataFrame | None = None) -> pd.DataFrame:
    """Findings (FINDING_COLUMNS) of one report or many: in-report rules, then cross-year rules.

    ``tables`` is the concatenated ``extract_tables`` frame of the reports; when None the
    tables are extracted here with :func:`gdtools.tables.extract_tables`.
    """
    reports = [reports] if isinstance(reports, Report) else list(reports)
    if tables is None:
        from .tables import extract_tables

        parts = [extract_tables(r) for r in reports]
        tables = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    groups = {str(k): g for k, g in tables.groupby(tables["report_id"].astype(str), sort=False)} \
        if not tables.empty else {}
    frames = [validate_report(r, groups.get(str(r.report_id))) for r in reports]
    frames.append(validate_corpus(tables, _reports_frame(reports)))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return _empty_findings()
    return pd.concat(frames, ignore_index=True)[FINDING_COLUMNS]


SUMMARY_COLUMNS = ["report_id", "source", "agency", "year", "template", "errors", "warnings", "not_assessable",
                   "ok", "cells_uncertain", "light"]


def summarize_findings(findings: pd.DataFrame, tables: pd.DataFrame | None = None,
                       reports: pd.DataFrame | Iterable[Report] | None = None) -> pd.DataFrame:
    """One row per report: counts of errors, warnings, not_assessable and ok findings, uncertain cells.

    ``light`` is ``red`` (any error), ``amber`` (warnings or anything not assessable or
    uncertain), ``green`` (checks ran and passed), or ``grey`` when nothing was checked: files
    that could not be read (``status`` not ok) and legacy reports without the standard tables. Reports that appear only in ``tables`` or ``reports`` are
    listed too (with zero findings).
    """
    if reports is not None and not isinstance(reports, pd.DataFrame):
        reports = _reports_frame(list(reports))
    order: dict[str, dict] = {}
    if reports is not None and not reports.empty:
        for rec in reports.to_dict("records"):
            order.setdefault(str(rec["report_id"]),
                             {k: rec.get(k) for k in ("source", "agency", "year", "template", "status")})
    for frame in (tables, findings):
        if frame is not None and not frame.empty:
            firsts = frame[["report_id", "source"]].drop_duplicates("report_id")
            for rid, src in zip(firsts["report_id"].astype(str), firsts["source"]):
                order.setdefault(rid, {"source": src})
    counts = pd.DataFrame()
    if findings is not None and not findings.empty:
        counts = pd.crosstab(findings["report_id"].astype(str), findings["severity"])
    uncertain = pd.Series(dtype="int64")
    if tables is not None and not tables.empty:
        t = tables[tables["status"] == UNCERTAIN]
        uncertain = t.groupby(t["report_id"].astype(str)).size()
    def count(rid: str, sev: str) -> int:
        return int(counts.at[rid, sev]) if sev in counts.columns and rid in counts.index else 0

    return _summary_frame(order, count, lambda rid: int(uncertain.get(rid, 0)))


def _summary_frame(order: dict[str, dict], count: Callable[[str, str], int],
                   uncertain: Callable[[str], int]) -> pd.DataFrame:
    """The summary rows of the reports in ``order`` (report id → its source, agency, year, template,
    status), with ``count(report_id, severity)`` findings and ``uncertain(report_id)`` uncertain cells."""
    rows = []
    for rid, info in order.items():
        errors, warnings, na, ok = (count(rid, sev) for sev in ("error", "warning", "not_assessable", "ok"))
        cu = uncertain(rid)
        light = "red" if errors else ("amber" if warnings or na or cu else ("green" if ok else "grey"))
        status = info.get("status")
        if isinstance(status, str) and status not in ("ok", ""):
            light = "grey"  # the file could not be read: nothing was checked
        rows.append({"report_id": rid, "source": info.get("source"), "agency": info.get("agency"),
                     "year": info.get("year"), "template": info.get("template"), "errors": errors,
                     "warnings": warnings, "not_assessable": na, "ok": ok, "cells_uncertain": cu, "light": light})
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    summary["year"] = pd.to_numeric(summary["year"], errors="coerce").astype("Int64")
    return summary
