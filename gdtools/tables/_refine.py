"""Cross-year narrowing of uncertain table 二 cells (frames only).

Two chains link one agency's consecutive annual reports:

* X2 (items 五/六/八, template 2019): 上一年项目数量(t) = 上一年项目数量(t−1) + 本年增/减(t−1);
* X3 (规章/行政规范性文件, template 2021): 现行有效(t) = 现行有效(t−1) + 制发(t) − 废止(t);
* its template-2019 counterpart (规章/规范性文件): 对外公开总数量(t) = 对外公开总数量(t−1) + 本年新公开数量(t)
  (not an official rule, but what the column means; hand-checked real reports settle glued rows by it).

A row's joint readings are rebuilt from its cells: every combination of the cells' values
(``ok`` value, ``blank``, or an uncertain cell's candidates) whose digits, written in order,
are the digits the row printed (``raw``). A reading of year t is dropped when no reading
of the same row in year t−1 or t+1 satisfies the chain with it (a rule it cannot check —
a blank cell — drops nothing). Printed values are never changed: only rows with an
uncertain cell are narrowed, and only when some reading survives.
"""

from __future__ import annotations

import itertools
import re

import pandas as pd

from ..agency import normalize_agency
from ..model import BLANK, OK, UNCERTAIN

_X2_ROWS = ("licensing", "other_services", "penalty", "coercion", "fees")
_DOC_ROWS = ("rules", "normative_docs")
MAX_READINGS = 5000


def refine_tables(tables: pd.DataFrame, reports_frame: pd.DataFrame) -> pd.DataFrame:
    """``tables`` with uncertain table 二 cells narrowed by the adjacent years' reports.

    ``reports_frame`` needs ``report_id``, ``agency`` and ``year``; reports group under
    :func:`gdtools.agency.normalize_agency`. Narrowed cells become ``ok`` (or keep fewer
    candidates) and their ``raw`` gains ``[跨年度: …]``. Returns a new frame.
    """
    out = tables.copy()
    if out.empty or reports_frame is None or reports_frame.empty:
        return out
    years = _years(reports_frame)
    t2 = out[out["table"] == "table2"]
    # each linked (report, row)'s cells in frame order, from the columns read once
    members: dict[tuple[str, str], list[int]] = {}
    codes = set(_X2_ROWS + _DOC_ROWS)
    for i, key in enumerate(zip(t2["report_id"], t2["row_code"])):
        if key[1] in codes and key[0] in years:
            members.setdefault(key, []).append(i)
    if not members:
        return out
    index, cols, values, statuses, candidates, raws = (
        list(t2.index), list(t2["col_code"]), list(t2["value"]), list(t2["status"]), list(t2["candidates"]),
        list(t2["raw"]))
    rows: dict[tuple[str, str], dict] = {}
    for key, positions in members.items():
        readings = _readings([statuses[i] for i in positions], [values[i] for i in positions],
                             [candidates[i] for i in positions], raws[positions[0]])
        if readings:
            rows[key] = {"cols": [cols[i] for i in positions], "readings": readings,
                         "index": [index[i] for i in positions], "why": []}
    by_year = {(key, year): rid for rid, (key, year) in years.items()}
    changed = True
    while changed:
        changed = False
        for (rid, code), row in rows.items():
            if len(row["readings"]) < 2:
                continue
            key, year = years[rid]
            for step in (-1, 1):
                other = rows.get((by_year.get((key, year + step)), code))
                if other is None:
                    continue
                kept = [r for r in row["readings"] if any(
                    _chain_ok(code, row["cols"], r, other["cols"], o, step) for o in other["readings"])]
                if kept and len(kept) < len(row["readings"]):
                    row["readings"] = kept
                    row["why"].append(f"{year + step}年报告")
                    changed = True
    for row in rows.values():
        if row["why"]:
            _write(out, row)
    return out


def _years(reports_frame: pd.DataFrame) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    seen: dict[tuple[str, int], int] = {}
    for rec in reports_frame[["report_id", "agency", "year"]].itertuples(index=False):
        key = normalize_agency(rec.agency) if isinstance(rec.agency, str) else ""
        try:
            year = int(rec.year)
        except (TypeError, ValueError):
            continue
        if key:
            out[rec.report_id] = (key, year)
            seen[(key, year)] = seen.get((key, year), 0) + 1
    # two reports claiming the same agency and year: neither is linked
    return {rid: ky for rid, ky in out.items() if seen[ky] == 1}


def _readings(statuses: list, values: list, candidates: list, raw) -> list[tuple] | None:
    """Joint readings of one row (its cells' statuses, values and candidates, the row's ``raw``),
    or None when a cell is missing/undecidable or none fits raw."""
    options = []
    for status, value, cands in zip(statuses, values, candidates):
        if status == OK:
            options.append([float(value)])
        elif status == BLANK:
            options.append([None])
        elif status == UNCERTAIN and cands and cands != "undecidable":
            options.append([None if c == "blank" else float(c) for c in str(cands).split("|")])
        else:
            return None
    if all(len(o) == 1 for o in options):
        return [tuple(o[0] for o in options)]
    printed = re.sub(r"\D", "", re.sub(r"\[[^\]]*\]", "", str(raw)))
    if not printed or any(len(o) > 1 and any(v is not None and not float(v).is_integer() for v in o)
                          for o in options):
        return None  # amounts with decimals: digit order alone does not rebuild them
    if _count(options) > MAX_READINGS:
        return None
    found = [combo for combo in itertools.product(*options)
             if "".join(str(int(abs(v))) for v in combo if v is not None) == printed]
    return found or None


def _count(options) -> int:
    n = 1
    for o in options:
        n *= len(o)
    return n


def _chain_ok(code: str, cols: list[str], mine: tuple, other_cols: list[str], other: tuple, step: int) -> bool:
    """Whether a reading of year t and one of year t+step satisfy X2/X3 (True if not checkable)."""
    a = dict(zip(cols, mine, strict=True))
    b = dict(zip(other_cols, other, strict=True))
    early, late = (b, a) if step < 0 else (a, b)
    if code in _DOC_ROWS:
        need = (early.get("in_force"), late.get("in_force"), late.get("issued"), late.get("repealed"))
        if all(v is not None for v in need):
            return abs(need[1] - (need[0] + need[2] - need[3])) < 1e-6
        need = (early.get("public_total"), late.get("public_total"), late.get("published"))
        if all(v is not None for v in need):
            return abs(need[1] - (need[0] + need[2])) < 1e-6
        return True
    need = (early.get("prev_items"), early.get("change"), late.get("prev_items"))
    if any(v is None for v in need):
        return True
    return abs(need[2] - (need[0] + need[1])) < 1e-6


def _write(out: pd.DataFrame, row: dict) -> None:
    note = f"[跨年度: {'、'.join(dict.fromkeys(row['why']))}]"
    for i, idx in enumerate(row["index"]):
        values = list(dict.fromkeys(r[i] for r in row["readings"]))
        if out.at[idx, "status"] != UNCERTAIN:
            continue
        if len(values) == 1:
            out.at[idx, "value"] = values[0] if values[0] is not None else pd.NA
            out.at[idx, "status"] = OK if values[0] is not None else BLANK
            out.at[idx, "candidates"] = ""
        else:
            out.at[idx, "candidates"] = "|".join("blank" if v is None else _fmt(v) for v in values)
        out.at[idx, "raw"] = f"{out.at[idx, 'raw']} {note}".strip()


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
