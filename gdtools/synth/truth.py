"""Ground truth files in the schema of ``../shared/realdata`` (expected/ and narrative/)."""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import cache

from ..spec import table_spec
from .document import ReportDoc, SCell
from .splits import row_candidates
from .world import APPLICANT_COLS, TABLE3_COLS, TABLE4_COLS, TABLE4_ROWS, table3_rows

_OUTER = ("received", "carried_in", "total", "carried_forward")
# A statement repeats last year's when this share of its characters aligns with one statement
# of the previous report (containment; similarity is the Dice ratio of the same alignment).
REPEAT_CONTAINMENT = 0.7
REPEAT_MIN_CHARS = 8


@cache
def _keys():
    rows3 = table_spec("table3_rows").set_index("row_code")["gold_key"].to_dict()
    cols3 = table_spec("table3_cols").set_index("col_code")["gold_key"].to_dict()
    rows4 = table_spec("table4_rows").set_index("row_code")["gold_key"].to_dict()
    cols4 = table_spec("table4_cols").set_index("col_code")["gold_key"].to_dict()
    return rows3, cols3, rows4, cols4


@cache
def _table2_keys(template: str) -> dict[tuple[str, str], tuple[str, str]]:
    spec = table_spec("table2")
    version = "v2019" if template == "v2019" else "v2021"
    out = {}
    for _, r in spec[spec[version] != ""].iterrows():
        gold_cols = r["gold_col"].split("|")
        gold_col = gold_cols[0] if version == "v2019" or len(gold_cols) == 1 else gold_cols[1]
        gold_row = r["row_v2021"] if version == "v2021" else r["gold_row"]
        out[(r["row_code"], r["col_code"])] = (gold_row, gold_col)
    return out


def cell_value(doc: ReportDoc, key: tuple[str, str, str]):
    table, row, col = key
    if table == "table3":
        return doc.figures.table3[row][col]
    if table == "table4":
        return doc.figures.table4[row][col]
    return doc.table2_values.get((row, col))


def where(doc: ReportDoc, key: tuple[str, str, str]) -> str:
    """The ``table/row/col`` address of a cell in gold keys, as in the real expected files."""
    rows3, cols3, rows4, cols4 = _keys()
    table, row, col = key
    if table == "table3":
        if f"{rows3[row]}/{cols3[col]}" in rows3.values():
            # 其他处理 + 其他 would read as the v2021 row 其他处理/其他: name the column as a range
            return f"table3/{rows3[row]}/{cols3[col]}..{cols3[col]}"
        return f"table3/{rows3[row]}/{cols3[col]}"
    if table == "table4":
        return f"table4/{rows4[row]}/{cols4[col]}"
    gold_row, gold_col = _table2_keys(doc.figures.template)[(row, col)]
    return f"table2/{gold_row}/{gold_col}"


_WHY = {
    "dropped": "empty cells are dropped in this layout, so the printed values cannot be aligned to columns",
    "glued": "the digits of this row are printed without separators and admit several splits "
             "(no leading zeros; row total = sum of its parts where the row has one)",
}


def uncertain_cells(doc: ReportDoc, grid: list[list[SCell]], mode: str) -> list[dict]:
    """Uncertain-cell records for one table printed in ``mode``."""
    out = []
    for line in grid:
        cells = [c for c in line if c.key is not None]
        if not cells:
            continue
        truth = [cell_value(doc, c.key) for c in cells]
        groups = None
        if len(cells) == 7:
            groups = [((0, 1, 2, 3, 4, 5), 6)]
        elif len(cells) == 15:
            groups = [((0, 1, 2, 3), 4), ((5, 6, 7, 8), 9), ((10, 11, 12, 13), 14)]
        options = row_candidates([c.text for c in cells], [c.kind for c in cells], truth, mode, groups)
        for cell, values in zip(cells, options):
            if len(values) > 1:
                out.append({"where": where(doc, cell.key), "why": _WHY[mode], "candidates": values})
    return out


def checks(doc: ReportDoc) -> dict:
    """R1–R4 on the printed values, worded like ``_checks_as_recorded`` of the real files."""
    rows3, cols3, rows4, _ = _keys()
    t3, t4 = doc.figures.table3, doc.figures.table4
    failures, not_checkable, passed = [], [], 0
    outcome = [r for r in table3_rows(doc.figures.template) if r not in _OUTER]

    def num(v):
        return 0 if v is None else v

    def note(values) -> str:  # worded as in the real files when a blank was counted as 0
        return " (blank cell(s) read as 0)" if any(v is None for v in values) else ""

    for col in TABLE3_COLS:
        name = cols3[col]
        cells = [t3[r][col] for r in _OUTER]
        if all(v is None for v in cells):
            not_checkable.append(f"R1[{name}] all blank")
        elif num(cells[0]) + num(cells[1]) != num(cells[2]) + num(cells[3]):
            failures.append(f"R1[{name}]: 本年新收 {cells[0]} + 上年结转 {cells[1]} != 总计 {cells[2]} + "
                            f"结转下年度 {cells[3]}{note(cells)}")
        else:
            passed += 1
        parts = [t3[r][col] for r in outcome]
        if t3["total"][col] is None and all(v is None for v in parts):
            not_checkable.append(f"R3[{name}] all blank")
        elif t3["total"][col] is None:
            not_checkable.append(f"R3[{name}] 总计 blank")
        elif sum(num(v) for v in parts) != t3["total"][col]:
            failures.append(f"R3[{name}]: sum of outcome rows {sum(num(v) for v in parts)} != "
                            f"总计 {t3['total'][col]}{note(parts)}")
        else:
            passed += 1
    for row, cells in t3.items():
        parts = [cells[c] for c in APPLICANT_COLS]
        if cells["total"] is None:
            not_checkable.append(f"R2[{rows3[row]}] 总计 blank")
        elif all(v is None for v in parts):
            not_checkable.append(f"R2[{rows3[row]}] all blank")
        elif sum(num(v) for v in parts) != cells["total"]:
            failures.append(f"R2[{rows3[row]}]: sum of applicant columns {sum(num(v) for v in parts)} != "
                            f"总计 {cells['total']}{note(parts)}")
        else:
            passed += 1
    for row in TABLE4_ROWS:
        parts = [t4[row][c] for c in TABLE4_COLS[:4]]
        total = t4[row]["total"]
        if total is None and all(v is None for v in parts):
            not_checkable.append(f"R4[{rows4[row]}] all blank")
        elif sum(num(v) for v in parts) != num(total):
            failures.append(f"R4[{rows4[row]}]: {parts} sum {sum(num(v) for v in parts)} != 总计 {total}"
                            f"{note([*parts, total])}")
        else:
            passed += 1
    return {"failures": failures, "not_checkable": not_checkable, "rules_passed": passed}


def expected_json(doc: ReportDoc, file: str, uncertain: list[dict], notes: str) -> dict:
    """The ``expected/<stem>.json`` record (tables as printed; null = printed blank)."""
    rows3, cols3, rows4, cols4 = _keys()
    figures = doc.figures
    template = "v2019" if figures.template == "v2019" else "v2021"
    table2: dict[str, dict] = {}
    for (row, col), (gold_row, gold_col) in _table2_keys(figures.template).items():
        table2.setdefault(gold_row, {})[gold_col] = doc.table2_values.get((row, col))
    units = {f"{gr}/{gc}": doc.units[k] for k, (gr, gc) in _table2_keys(figures.template).items()
             if k in doc.units}
    return {
        "file": file,
        "agency": doc.agency.name,
        "year": figures.year,
        "template": template,
        "table3": {rows3[r]: {cols3[c]: figures.table3[r][c] for c in TABLE3_COLS} for r in figures.table3},
        "table4": {rows4[r]: {cols4[c]: figures.table4[r][c] for c in TABLE4_COLS} for r in TABLE4_ROWS},
        "table2": table2,
        "units": units,
        "uncertain": uncertain,
        "notes": notes,
        "_checks_as_recorded": checks(doc),
        "_injected_errors": list(figures.injected),
        "x4_text_figures": doc.text_figures,
        "x4_mismatches": doc.x4_mismatches,
        "single_other_row": figures.template == "v2021-other1",
    }


def narrative_json(doc: ReportDoc, file: str, text: str, text_source: str, previous: tuple[str, ReportDoc] | None
                   ) -> dict:
    """The ``narrative/<stem>.json`` record; offsets index ``text`` (see ``text_source``)."""
    statements, pos = [], max(0, text.find(doc.section5_title))
    for st in doc.statements:
        start = text.find(st.text, pos)
        if start < 0:
            raise AssertionError(f"statement not found in rendered text of {file}: {st.text[:20]}")
        end = start + len(st.text)
        statements.append({"text": st.text, "kind": st.kind, "themes": list(st.themes),
                           "char_start": start, "char_end": end})
        pos = end
    repeats = []
    if previous is not None:
        prev_texts = [s.text for s in previous[1].statements]
        for i, st in enumerate(doc.statements):
            best = (0.0, 0.0, None)  # (containment, similarity, index)
            for j, old in enumerate(prev_texts):
                matcher = SequenceMatcher(None, st.text, old, autojunk=False)
                aligned = sum(b.size for b in matcher.get_matching_blocks())
                best = max(best, (aligned / max(1, len(st.text)), matcher.ratio(), j), key=lambda t: t[:2])
            containment, similarity, j = best
            # a repeat: most of the statement's characters align with one statement of last year
            if j is not None and len(st.text) >= REPEAT_MIN_CHARS and containment >= REPEAT_CONTAINMENT:
                match = "verbatim" if st.text == prev_texts[j] else \
                    "near_verbatim" if containment >= 0.9 or similarity >= 0.8 else "partial"
                repeats.append({"statement_index": i, "previous_statement_indices": [j], "match": match,
                                "similarity": round(similarity, 3), "containment": round(containment, 3)})
    kinds = [s["kind"] for s in statements]
    return {
        "file": file,
        "text_source": text_source,
        "dataset": "gdtools synthetic sample",
        "agency": doc.agency.name,
        "year": doc.figures.year,
        "section_title": doc.section5_title,
        "statements": statements,
        "statements_count": len(statements),
        "problems_count": kinds.count("problem"),
        "measures_count": kinds.count("measure"),
        "other_count": kinds.count("other"),
        "excluded_fragments": list(doc.excluded),
        "previous_year_report_in_set": previous[0] if previous else None,
        "repeats_previous_year": repeats,
        "repeat_rule": f"containment >= {REPEAT_CONTAINMENT} (aligned characters / statement length), "
                       f"statements of at least {REPEAT_MIN_CHARS} characters",
        "copied_from_previous_year": doc.copied_from_previous,
    }
