"""Tables 二, 三 and 四 of a report as a tidy frame (one row per template cell).

``extract_tables(report)`` returns columns :data:`gdtools.model.TABLE_COLUMNS`. Every
template cell of a table that was found is present, so blanks and gaps are explicit:

* ``ok`` — the text determines the value (``value`` may be any number, incl. 0);
* ``blank`` — printed empty (``-``, ``—``, ``/``, ``无`` or an empty cell): value NA;
* ``uncertain`` — several readings of the printed text survive the table's arithmetic;
  ``candidates`` lists them (``2|20``; ``blank`` for an empty reading, ``undecidable``
  when the text admits too many to list), value NA;
* ``missing`` — the label is printed but the text holds no cell for it (a value row that
  lost its label in a broken grid, a grid row printing no value), or the label is absent.

A grid row printing fewer value cells than its columns (PDF-to-markdown loses cells, or
prints one outside the table) is not filled left to right: every order-preserving
placement of its cells is a reading, so cells stay ``uncertain`` (``blank`` among the
candidates standing for "not in this row") unless the sums or a narrative figure decide;
a cell that every surviving reading leaves empty is ``missing``, never ``blank``.

How a row is read depends on what survived of the layout (DOMAIN.md §7): grid cells
(HTML/DOCX/PDF tables, Markdown pipes, tab-separated lines) are taken as printed; glued
digit runs are cut into numbers without leading zeros; one-value-per-line dumps use their
empty lines as blank cells unless that reading breaks R1 (then blanks were moved and only
what the sums fix is certain). Readings are pruned per row (R2, R4) and jointly (R1, R3);
nothing is chosen among readings that all satisfy the rules. A report inconsistent as
printed keeps its unambiguous values (the validator reports the inconsistency); its
ambiguous rows take the one joint reading that breaks strictly the fewest rule instances
(R1, R3 and R1' per column — 本年新收 + 上年结转 = outcome rows + 结转下年度, true of any
consistent table whatever the printed （七）总计 — and R2 per row), status ``ok`` with the
set-aside values in ``candidates`` (``alt: 1|10``); on a tie the cells stay uncertain.

A reading is dropped when a cell holds a value its column cannot hold
(``_readings.MAX_COUNT_DIGITS``: a count has at most 7 digits; an amount in 元/万元 at
most ``MAX_AMOUNT_DIGITS`` before its decimals; only 本年增/减 is signed, so a printed
``-3`` in a count cell is no value: ``-`` glued to a number is not taken for a blank
mark, which would guess a layout); a row left without readings is
``uncertain`` with candidates ``undecidable`` and its printed text in ``raw``.

Broken grids (PDF-to-markdown) can print value rows without their label cell. Such a
row is placed only when it is forced: between two rows read with their labels, the
template rows left without values are exactly as many as the full label-less value rows
printed there (a row may start with label fragments split across cells or lines, each
a piece of the label of the row its position gives), so reading order and template order
admit one assignment; the result must
satisfy R2 per row and R1/R3 where checkable, else the rows stay missing. These cells are
``ok`` and their ``raw`` starts with ``[按顺序补位]``. A lone number is never a row.

A table that is absent (no labels found) yields no rows; ``reports.csv`` shows that.
Table 三's variant (v2019 one （六）其他处理 row, v2021 three sub-rows) is decided from the
labels printed, not from the report's template. Local rows of table 二 that the template
lacks (e.g. 其他主动公开文件) are kept as ``row_code`` ``extra:<printed label>`` under the
item printed before them. Table 二 has no arithmetic, so a glued run there (``898989``)
stays uncertain unless a printed sign fixes where the 本年增/减 cell starts; a glued run
(no separator) is read with every cell printed when it can be, as glued table 三 rows
are, while spaced numbers may have lost blank cells; but once some inline row of the
table prints fewer digits than its columns (blanks were dropped in this layout), every
inline row with fewer chunks than columns also keeps its readings with blanks (``30``
under two columns: ``3|30|blank``). In dropped-blank rows the strict R2
(a row printing counts prints its total) is not applied to two equal numbers (``1 1``),
whose "sum" holds trivially: two applicant cells beside a blank 总计 stay possible.

Evidence outside the table only removes readings of a row that has several, never a
printed value: a 规范性文件 figure the report's narrative states unambiguously (row and
column keyword + number + 件, ``raw`` gains ``[正文: …]``), and, over a corpus,
``refine_tables(tables, reports_frame)``: the same agency's adjacent years (X2/X3, ``raw``
gains ``[跨年度: …]``). Batch runners call it after extracting every report.
"""

from __future__ import annotations

import logging
from functools import cache

import pandas as pd

from ..model import BLANK, MISSING, OK, TABLE_COLUMNS, UNCERTAIN, Report
from ..outputs import TEXT_DTYPE
from ..spec import table_records
from ._decode import (
    N3,
    N4,
    Decoded,
    decode_table2,
    decode_table3,
    decode_table4,
    estimate_gaps,
    locate_table3,
    t2_layout,
    t3_rows,
)
from ._hints import apply_narrative, narrative_figures
from ._refine import refine_tables
from ._solve import cell_outcome
from ._text import prepare_text

__all__ = ["extract_tables", "refine_tables", "table_columns", "wide_table"]
# an uncertain cell with more readings than this is reported as "undecidable"
MAX_CANDIDATES = 30
log = logging.getLogger("gdtools")


def extract_tables(report: Report) -> pd.DataFrame:
    """Tables 二, 三, 四 of ``report`` as a long frame with columns ``TABLE_COLUMNS``."""
    return _frame(table_columns(report))


def table_columns(report: Report) -> dict[str, list]:
    """The columns of :func:`extract_tables` without the frame: ``TABLE_COLUMNS`` in order, each an
    equal-length list of plain values (``str``; ``value`` a ``float`` or ``None`` where not reported).

    Batch runners build one frame from the columns of many reports instead of one per report.
    """
    text = prepare_text(report)
    template = report.template
    loc = locate_table3(text)
    t3 = decode_table3(text, loc[0], loc[1], template) if loc else None
    t2_end = loc[0] if loc else len(text)
    t2 = decode_table2(text, t2_end, template)
    texts = (t2.texts if t2 else []) + (t3.texts if t3 else [])
    gaps = estimate_gaps(texts)
    gaps.moved = t3 is not None and t3.moved
    t4 = decode_table4(text, loc[1] if loc else 0, gaps)
    columns: dict[str, list] = {name: [] for name in TABLE_COLUMNS}
    if t2 is not None and t2.rows:
        cols = {code: [c["col_code"] for c in spec] for code, _, spec in t2_layout(t2.version)}
        short = {code for code, status in t2.status.items() if status == "short"}
        ambiguous = {code for code, readings in t2.rows.items() if len(readings) > 1}
        apply_narrative(t2.rows, cols, t2.raw, narrative_figures(text, t2.version, ambiguous), short)
        _table2_columns(t2, columns)
    if t3 is not None:
        _table3_columns(t3, columns)
        if not t3.consistent:
            log.debug("%s: table 三 not settled by R1/R3 (inconsistent as printed or too many readings)",
                      report.source)
    if t4 is not None:
        _table4_columns(t4, t3.version if t3 is not None else template, columns)
    n = len(columns["table"])
    columns["report_id"] = [report.report_id] * n
    columns["source"] = [report.source] * n
    return columns


def _frame(columns: dict[str, list]) -> pd.DataFrame:
    """``table_columns`` as a frame: text columns as pandas' ``str`` dtype, ``value`` as Float64."""
    if columns["value"] and all(
            name == "value" or set(map(type, column)) == {str} for name, column in columns.items()):
        # the usual case, every text cell a str: each column converted once, to the dtype
        # inference would give it (text through Arrow's converter: the same array, faster)
        import pyarrow as pa

        return pd.DataFrame({name: pd.array(column, dtype="Float64") if name == "value" else
                             TEXT_DTYPE.__from_arrow__(pa.array(column, type=pa.large_string()))
                             for name, column in columns.items()}, copy=False)
    frame = pd.DataFrame.from_records(list(zip(*columns.values())), columns=TABLE_COLUMNS)
    frame["value"] = pd.array(columns["value"], dtype="Float64")
    return frame


def _fmt(value) -> str:
    if value is None:
        return "blank"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _cell(readings: list[tuple], index: int, row_status: str, column: tuple | None = None
          ) -> tuple[object, str, str]:
    """(value, status, candidates) of one cell over the surviving readings of its row
    (``column``: the cell's value in each reading, when already at hand)."""
    if row_status == "missing":
        return None, MISSING, ""
    if not readings:
        return None, UNCERTAIN, "undecidable"
    if len(readings) == 1:
        value, candidates = readings[0][index], []
    else:
        value, candidates = cell_outcome(column if column is not None else [r[index] for r in readings])
    if len(candidates) > MAX_CANDIDATES:
        return None, UNCERTAIN, "undecidable"
    if candidates:
        return None, UNCERTAIN, "|".join(_fmt(c) for c in candidates)
    if value is None:
        # a grid row with fewer cells than columns: an empty reading there is a lost cell
        return None, (MISSING if row_status == "short" else BLANK), ""
    return value, OK, ""


# the columns that depend on the table layout only: table, item, row_code, row_label, col_code,
# col_label and unit, one entry per cell in output order
_LAYOUT = ("table", "item", "row_code", "row_label", "col_code", "col_label", "unit")


@cache
def _grid_layout(table: str, version: str) -> dict[str, tuple[str, ...]]:
    """The layout columns of table 三 (of ``version``) or 四: every row × column, row by row."""
    rows = t3_rows(version) if table == "table3" else table_records("table4_rows")
    cols = table_records(table + "_cols")
    cols = cols[:N3] if table == "table3" else cols
    cells = [(row, col) for row in rows for col in cols]
    return {"table": (table,) * len(cells), "item": ("",) * len(cells),
            "row_code": tuple(row["row_code"] for row, _ in cells),
            "row_label": tuple(row["label"] for row, _ in cells),
            "col_code": tuple(col["col_code"] for _, col in cells),
            "col_label": tuple(col["label"] for _, col in cells), "unit": ("件",) * len(cells)}


def _add_grid(columns: dict[str, list], table: str, version: str, template) -> None:
    """Append the layout columns of a whole table 三/四 (``template`` the value of its column)."""
    layout = _grid_layout(table, version)
    for name in _LAYOUT:
        columns[name].extend(layout[name])
    columns["template"].extend([template] * len(layout["table"]))


def _add_cells(columns: dict[str, list], readings: list[tuple], n: int, status: str, raw: str) -> None:
    """Append value, status, candidates and raw of a row's ``n`` cells (see :func:`_cell`)."""
    values, statuses, candidates = columns["value"], columns["status"], columns["candidates"]
    if status == "missing":
        values.extend([None] * n)
        statuses.extend([MISSING] * n)
        candidates.extend([""] * n)
    elif len(readings) == 1 and len(readings[0]) == n:
        # one reading: its values as printed, empty cells blank (missing in a short grid row)
        reading = readings[0]
        values.extend(reading)
        if None in reading:
            empty = MISSING if status == "short" else BLANK
            statuses.extend([empty if v is None else OK for v in reading])
        else:
            statuses.extend([OK] * n)
        candidates.extend([""] * n)
    else:
        # several readings (all of the row's length): each cell's values taken at once
        by_cell = list(zip(*readings)) if len(readings) > 1 and {len(r) for r in readings} == {n} else None
        for i in range(n):
            value, state, cands = _cell(readings, i, status, by_cell[i] if by_cell else None)
            values.append(value)
            statuses.append(state)
            candidates.append(cands)
    columns["raw"].extend([raw] * n)


def _table3_columns(t3: Decoded, columns: dict[str, list]) -> None:
    _add_grid(columns, "table3", t3.version, t3.version)
    statuses, candidates = columns["status"], columns["candidates"]
    for row in t3_rows(t3.version):
        code = row["row_code"]
        readings = t3.rows.get(code)
        status = t3.status.get(code, "")
        if readings is None:
            status = "missing"
            readings = []
        _add_cells(columns, readings, N3, status, t3.raw.get(code, ""))
        if code in t3.alts:
            # a reading chosen by least violations: the set-aside values of its ok cells
            first = len(statuses) - N3
            for i in range(N3):
                alts = [r[i] for r in t3.alts[code] if r[i] != readings[0][i]]
                if statuses[first + i] == OK and alts:
                    candidates[first + i] = "alt: " + "|".join(_fmt(v) for v in dict.fromkeys(alts))


def _table4_columns(t4: Decoded, template, columns: dict[str, list]) -> None:
    _add_grid(columns, "table4", "", template)
    status = t4.status.get("all", "")
    _add_cells(columns, t4.rows.get("all", []), N4, status if status != "undecidable" else "",
               t4.raw.get("all", ""))


def _table2_columns(t2: Decoded, columns: dict[str, list]) -> None:
    row_key = "row_" + t2.version
    cells: list[tuple] = []  # (item, row_code, row_label, col_code, col_label, unit) of each cell
    for code, item, cols in t2_layout(t2.version):
        readings = t2.rows.get(code)
        status = t2.status.get(code, "")
        if readings is None:
            status, readings = "missing", []
        _add_cells(columns, readings, len(cols), status, t2.raw.get(code, ""))
        for col in cols:
            unit = col["unit"]
            if col["kind"] == "amount" and not unit:
                unit = t2.units.get(code, "")
            cells.append((item, code, col[row_key], col["col_code"], col[t2.version], unit))
    for code, cols in t2.extra_cols.items():
        specs = cols or [{"col_code": "value", t2.version: "", "unit": "", "kind": "count"}]
        _add_cells(columns, t2.rows.get(code, []), len(specs), t2.status.get(code, ""), t2.raw.get(code, ""))
        for col in specs:
            unit = col["unit"] or (t2.units.get(code, "") if col["kind"] == "amount" else "")
            cells.append((t2.items.get(code, ""), code, t2.labels[code], col["col_code"], col[t2.version], unit))
    columns["table"].extend(["table2"] * len(cells))
    columns["template"].extend([t2.version] * len(cells))
    for name, values in zip(_LAYOUT[1:], zip(*cells)):
        columns[name].extend(values)


def wide_table(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """One table of one report in its familiar shape: official row labels × column labels.

    Uncertain and missing cells are NA; look at ``status``/``candidates`` in the long frame
    for why. For several reports in ``frame`` the index gains a ``report_id`` level.
    """
    part = frame[frame["table"] == table]
    if part.empty:
        return pd.DataFrame()
    rows = list(dict.fromkeys(part["row_label"]))
    cols = list(dict.fromkeys(part["col_label"]))
    part = part.assign(row_label=pd.Categorical(part["row_label"], rows, ordered=True),
                       col_label=pd.Categorical(part["col_label"], cols, ordered=True))
    index = ["report_id", "row_label"] if part["report_id"].nunique() > 1 else ["row_label"]
    wide = part.pivot_table(index=index, columns="col_label", values="value", aggfunc="first",
                            dropna=False, observed=True)
    wide.index = wide.index.remove_unused_levels() if len(index) == 2 else wide.index.astype(str)
    wide.columns = wide.columns.astype(str)
    wide.columns.name = None
    return wide
