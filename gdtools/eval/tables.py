"""Accuracy of :func:`gdtools.tables.extract_tables` against hand-checked values.

``evaluate(folder, out)`` reads ``<folder>/reports/*`` and ``<folder>/expected/<stem>.json``
(the schema of ``../shared/realdata/expected``; synthetic truth files use the same) and
prints, for tables 三 and 四:

* exact-cell rate over *determinable* cells (expected value given, cell not named by exact
  address — one row and its columns — in the file's ``uncertain`` entries): status ``ok``
  with the expected value. Cells of entries naming whole rows or several rows stay
  determinable (the acceptance counts them); how many of those we match is printed apart;
* silent errors (all tables): status ``ok`` with a value different from the expected one,
  ``ok`` where the expected cell is blank, or ``ok`` in a table the report does not have;
* blanks kept: expected blank cells we report as NA (``blank``/``missing``/``uncertain``).

Cells named exactly under ``uncertain`` are not scored for exactness; ``ok`` there is a
silent error only when its value differs from the recorded one. Table 二 is scored the same way
and printed separately. Tables are those of every report in the folder after
:func:`gdtools.tables.refine_tables` (what ``gdtools extract FOLDER`` gives). Returns True when exact ≥ 99 %, no silent error, blanks ≥ 99 %.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

from ..spec import table_spec

EXACT_BAR = 0.99
BLANK_BAR = 0.99
_T2_ROWS = {"规章": "rules", "规范性文件": "normative_docs", "行政规范性文件": "normative_docs",
            "行政许可": "licensing", "其他对外管理服务事项": "other_services", "行政处罚": "penalty",
            "行政强制": "coercion", "行政事业性收费": "fees", "政府集中采购": "procurement"}


def _norm_col(label: str) -> str:
    return re.sub(r"[度新\s]|（单位：.*?）|\(单位:.*?\)", "", label)


def expected_cells(expected: dict) -> dict[tuple[str, str, str], object]:
    """``{(table, row_code, col_code): value}`` of one expected file (None = printed blank)."""
    rows3 = {r["gold_key"]: r["row_code"] for r in table_spec("table3_rows").to_dict("records")}
    cols3 = {c["gold_key"]: c["col_code"] for c in table_spec("table3_cols").to_dict("records")}
    rows4 = {r["gold_key"]: r["row_code"] for r in table_spec("table4_rows").to_dict("records")}
    cols4 = {c["gold_key"]: c["col_code"] for c in table_spec("table4_cols").to_dict("records")}
    t2 = table_spec("table2").to_dict("records")
    cells: dict[tuple[str, str, str], object] = {}
    for key, cols in (expected.get("table3") or {}).items():
        for col, value in cols.items():
            cells[("table3", rows3.get(key, "?" + key), cols3.get(col, "?" + col))] = value
    for key, cols in (expected.get("table4") or {}).items():
        for col, value in cols.items():
            cells[("table4", rows4.get(key, "?" + key), cols4.get(col, "?" + col))] = value
    for key, cols in (expected.get("table2") or {}).items():
        row = _T2_ROWS.get(key, "?" + key)
        for col, value in cols.items():
            code = next((r["col_code"] for r in t2 if r["row_code"] == row and _norm_col(col) in
                         (_norm_col(r["v2019"]), _norm_col(r["v2021"]))), "?" + col)
            cells[("table2", row, code)] = value
    return cells


def uncertain_cells(expected: dict) -> set[tuple[str, str, str]]:
    """Cells named by exact address (one row and its columns) in the file's ``uncertain`` entries.

    ``table3/本年新收/自然人..其他`` or ``table2/行政许可/本年增/减+处理决定数量`` name cells;
    ``table3/总计`` (a whole row) or ``table3/部分公开, 不予公开/…`` (several rows) do not:
    see :func:`flagged_cells`.
    """
    return _named_cells(expected)[0]


def flagged_cells(expected: dict) -> set[tuple[str, str, str]]:
    """Cells of ``uncertain`` entries that name whole rows or several rows (still determinable)."""
    return _named_cells(expected)[1]


def _named_cells(expected: dict) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    rows3 = {r["gold_key"]: r["row_code"] for r in table_spec("table3_rows").to_dict("records")}
    cols3 = [c["gold_key"] for c in table_spec("table3_cols").to_dict("records")]
    code3 = {c["gold_key"]: c["col_code"] for c in table_spec("table3_cols").to_dict("records")}
    rows4 = {r["gold_key"]: r["row_code"] for r in table_spec("table4_rows").to_dict("records")}
    cols4 = [c["gold_key"] for c in table_spec("table4_cols").to_dict("records")]
    code4 = {c["gold_key"]: c["col_code"] for c in table_spec("table4_cols").to_dict("records")}
    t2cells = [k for k in expected_cells(expected) if k[0] == "table2"]
    out: set[tuple[str, str, str]] = set()
    loose: set[tuple[str, str, str]] = set()
    for entry in expected.get("uncertain", []):
        where = entry.get("where", "")
        table, _, rest = where.partition("/")
        if table == "table2":
            row_label, _, cols = rest.partition("/")
            row = _T2_ROWS.get(row_label, "?")
            wanted = {_norm_col(c) for c in cols.split("+")} if cols else None
            t2 = table_spec("table2").to_dict("records")
            for _, r, c in t2cells:
                if r != row:
                    continue
                spec = next((s for s in t2 if s["row_code"] == r and s["col_code"] == c), None)
                labels = {_norm_col(spec["v2019"]), _norm_col(spec["v2021"])} if spec else set()
                if wanted is None:
                    loose.add(("table2", r, c))
                elif labels & wanted:
                    out.add(("table2", r, c))
            continue
        rows, cols, codes = (rows3, cols3, code3) if table == "table3" else (rows4, cols4, code4)
        items = rest.split(", ")
        for item in items:
            key = max((k for k in rows if item == k or item.startswith(k + "/")), key=len, default=None)
            if key is None:
                continue
            spec = item[len(key) + 1:]
            named = {(table, rows[key], codes[c]) for c in _col_range(spec, cols)}
            (out if spec and len(items) == 1 else loose).update(named)
    return out, loose - out


def _col_range(spec: str, cols: list[str]) -> list[str]:
    if not spec:
        return list(cols)
    if ".." in spec:
        a, b = spec.split("..", 1)
        if a in cols and b in cols:
            return cols[cols.index(a):cols.index(b) + 1]
        return []
    return [c for c in spec.split("+") if c in cols]


class Score:
    def __init__(self) -> None:
        self.determinable = self.exact = self.silent = self.blank_expected = self.blank_kept = 0
        self.flagged = self.flagged_exact = 0
        self.failures: list[str] = []

    def add(self, other: Score) -> None:
        for name in ("determinable", "exact", "silent", "blank_expected", "blank_kept", "flagged",
                     "flagged_exact"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def score_report(frame, expected: dict) -> dict[str, Score]:
    """Per-table scores of one report's extracted frame against its expected file."""
    cells = expected_cells(expected)
    unsure, loose = _named_cells(expected)
    ours = {(r.table, r.row_code, r.col_code): r for r in frame.itertuples(index=False)}
    scores = {t: Score() for t in ("table2", "table3", "table4")}
    for key, want in cells.items():
        s = scores[key[0]]
        got = ours.get(key)
        status = got.status if got is not None else "missing"
        value = None if got is None or _na(got.value) else float(got.value)
        where = "/".join(key)
        if key in unsure:
            if status == "ok" and (want is None or value is None or not math.isclose(value, want)):
                s.silent += 1
                s.failures.append(f"SILENT {where}: ok {value} where the text is ambiguous (recorded {want})")
            continue
        if want is None:
            s.blank_expected += 1
            if status == "ok":
                s.silent += 1
                s.failures.append(f"SILENT {where}: ok {value} but printed blank")
            else:
                s.blank_kept += 1
            continue
        s.determinable += 1
        s.flagged += key in loose
        if status == "ok" and value is not None and math.isclose(value, float(want)):
            s.exact += 1
            s.flagged_exact += key in loose
        elif status == "ok":
            s.silent += 1
            s.failures.append(f"SILENT {where}: ok {value}, expected {want}")
        else:
            s.failures.append(f"{where}: {status} {got.candidates if got is not None else ''}, expected {want}")
    for table in ("table2", "table3", "table4"):
        if expected.get(table) is None:
            extra = [k for k, r in ours.items() if k[0] == table and r.status == "ok"]
            if extra:
                scores[table].silent += len(extra)
                scores[table].failures.append(f"SILENT {table}: {len(extra)} ok cells in a table the report lacks")
    return scores


def _extract_all(reports: dict[str, Path]):
    """Tables of every report in the folder, refined across years as ``gdtools extract`` does."""
    import pandas as pd

    from ..io import load_report, report_record
    from ..tables import extract_tables, refine_tables

    frames, records, failed = {}, [], {}
    for stem, path in reports.items():
        try:
            report = load_report(path)
            frames[stem] = extract_tables(report)
            records.append(report_record(report))
        except Exception as exc:  # one broken report is a failure line, not a crash
            failed[stem] = exc
    if not frames:
        return frames, failed
    refined = refine_tables(pd.concat(frames.values(), ignore_index=True), pd.DataFrame.from_records(records))
    ids = {stem: frame["report_id"].iloc[0] for stem, frame in frames.items() if not frame.empty}
    for stem, rid in ids.items():
        frames[stem] = refined[refined["report_id"] == rid]
    return frames, failed


def _na(value) -> bool:
    try:
        return value is None or bool(value != value) or str(value) == "<NA>"
    except TypeError:
        return True


def _rate(num: int, den: int) -> float:
    return num / den if den else 1.0


def evaluate(folder, out=None) -> bool:
    """Score every report in ``folder`` that has an expected file; print; True when the bar is met."""
    out = out or sys.stdout
    folder = Path(folder)
    reports = {p.stem: p for p in sorted((folder / "reports").glob("*")) if p.is_file()}
    frames, failed = _extract_all(reports)
    totals = {t: Score() for t in ("table2", "table3", "table4")}
    per_report: list[str] = []
    for exp_path in sorted((folder / "expected").glob("*.json")):
        stem = exp_path.stem
        expected = json.loads(exp_path.read_text(encoding="utf-8"))
        if stem not in reports:
            per_report.append(f"{stem}: report file not found")
            continue
        if stem in failed:
            per_report.append(f"{stem}: extraction failed: {failed[stem]}")
            continue
        scores = score_report(frames[stem], expected)
        lines = []
        for table, s in scores.items():
            totals[table].add(s)
            lines.extend(s.failures)
        if lines:
            per_report.append(f"{stem}:")
            per_report.extend("    " + line for line in lines[:12])
            if len(lines) > 12:
                per_report.append(f"    … {len(lines) - 12} more")
    main = Score()
    main.add(totals["table3"])
    main.add(totals["table4"])
    silent = sum(s.silent for s in totals.values())
    exact = _rate(main.exact, main.determinable)
    blanks = _rate(main.blank_kept, main.blank_expected)
    print(f"tables 三+四: exact {main.exact}/{main.determinable} = {exact:.2%}; "
          f"blanks kept {main.blank_kept}/{main.blank_expected} = {blanks:.2%}", file=out)
    for table, s in totals.items():
        print(f"  {table}: exact {s.exact}/{s.determinable} = {_rate(s.exact, s.determinable):.2%}, "
              f"silent errors {s.silent}, blanks kept {s.blank_kept}/{s.blank_expected}", file=out)
    print(f"silent errors (all tables): {silent}", file=out)
    flagged = sum(s.flagged for s in totals.values())
    if flagged:
        print(f"  of which in rows the expected files flag as doubtful (still counted): "
              f"exact {sum(s.flagged_exact for s in totals.values())}/{flagged}", file=out)
    for line in per_report:
        print(line, file=out)
    ok = exact >= EXACT_BAR and silent == 0 and blanks >= BLANK_BAR
    print("bar met" if ok else f"BAR NOT MET (exact ≥ {EXACT_BAR:.0%}, 0 silent errors, "
          f"blanks ≥ {BLANK_BAR:.0%})", file=out)
    return ok
