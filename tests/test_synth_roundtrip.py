"""Round trip: generate a fresh synthetic corpus in every format and layout, read it back
with ``gdtools.load_report`` + ``gdtools.extract_tables``, and require every cell the printed
text determines to come back exactly (blank cells as ``blank``). Cells the truth lists as
uncertain may come back uncertain, or as a value only if that value is the printed one.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from gdtools.spec import table_spec
from gdtools.synth import generate_corpus

N_REPORTS = 500
FORMATS = ["txt", "md", "html", "docx", "pdf"]


def _code_maps():
    r3 = table_spec("table3_rows").set_index("gold_key")["row_code"].to_dict()
    c3 = table_spec("table3_cols").set_index("gold_key")["col_code"].to_dict()
    r4 = table_spec("table4_rows").set_index("gold_key")["row_code"].to_dict()
    c4 = table_spec("table4_cols").set_index("gold_key")["col_code"].to_dict()
    t2: dict[tuple[str, str], tuple[str, str]] = {}
    for _, row in table_spec("table2").iterrows():
        for gold_col in row["gold_col"].split("|"):
            for gold_row in {row["gold_row"], row["row_v2019"], row["row_v2021"]} - {""}:
                t2.setdefault((gold_row, gold_col), (row["row_code"], row["col_code"]))
    return r3, c3, r4, c4, t2


def expected_cells(exp: dict):
    """(where, (table, row_code, col_code), value) for every cell of an expected record."""
    r3, c3, r4, c4, t2 = _code_maps()
    for row, cols in exp["table3"].items():
        for col, value in cols.items():
            yield f"table3/{row}/{col}", ("table3", r3[row], c3[col]), value
    for row, cols in exp["table4"].items():
        for col, value in cols.items():
            yield f"table4/{row}/{col}", ("table4", r4[row], c4[col]), value
    for row, cols in exp["table2"].items():
        for col, value in cols.items():
            yield f"table2/{row}/{col}", ("table2", *t2[(row, col)]), value


def _address(where: str) -> str:
    """``table3/其他处理/其他..其他`` (a one-column range, written so to stay unambiguous) → plain."""
    head, _, last = where.rpartition("/")
    first, dots, final = last.partition("..")
    return f"{head}/{first}" if dots and first == final else where


def _is_value(got, value) -> bool:
    if got is None or (isinstance(got, float) and math.isnan(got)):
        return False
    try:
        return abs(float(got) - float(value)) < 1e-6
    except (TypeError, ValueError):
        return False


def score(folder: Path) -> tuple[dict[str, Counter], dict[str, list]]:
    """Per layout: counts of recovered / wrong / guessed / crashed cells, and examples of misses."""
    from gdtools.io import load_report
    from gdtools.tables import extract_tables

    with open(folder / "MANIFEST.csv", encoding="utf-8") as fh:
        manifest = {row["file"]: row for row in csv.DictReader(fh)}
    stats: dict[str, Counter] = defaultdict(Counter)
    examples: dict[str, list] = defaultdict(list)
    for path in sorted((folder / "expected").glob("*.json")):
        exp = json.loads(path.read_text(encoding="utf-8"))
        row = manifest[exp["file"]]
        layout = row["noise"].split(";")[0] if row["format"] == "txt" else row["format"]
        try:
            frame = extract_tables(load_report(folder / "reports" / exp["file"]))
        except Exception as exc:  # a crash is a finding of the round trip, reported per layout
            stats[layout]["crashed_reports"] += 1
            examples[layout].append((exp["file"], f"{type(exc).__name__}: {exc}"[:160]))
            continue
        got = {(r.table, r.row_code, r.col_code): r for r in frame.itertuples()}
        uncertain = {_address(u["where"]): u["candidates"] for u in exp["uncertain"]}
        for where, key, value in expected_cells(exp):
            cell = got.get(key)
            status = None if cell is None else cell.status
            if where in uncertain:
                guessed = status == "ok" and not _is_value(cell.value, value)
                stats[layout]["guessed" if guessed else "uncertain_ok"] += 1
                if guessed and len(examples[layout]) < 8:
                    examples[layout].append((exp["file"], where, "truth", value, "got", cell.value, "uncertain"))
                continue
            ok = status == "blank" if value is None else status == "ok" and _is_value(cell.value, value)
            stats[layout]["recovered" if ok else "wrong"] += 1
            if not ok and len(examples[layout]) < 8:
                detail = "absent" if cell is None else (cell.status, cell.value, cell.candidates)
                examples[layout].append((exp["file"], where, "truth", value, "got", detail))
    return stats, examples


def summary(stats: dict[str, Counter], examples: dict[str, list]) -> str:
    lines = []
    total = Counter()
    for layout, counts in sorted(stats.items()):
        total.update(counts)
        lines.append(f"{layout:15} {dict(sorted(counts.items()))}")
    lines.append(f"{'TOTAL':15} {dict(sorted(total.items()))}")
    for layout, items in sorted(examples.items()):
        lines.append(f"-- {layout}")
        lines += [f"   {item}" for item in items]
    return "\n".join(lines)


@pytest.mark.slow
def test_extract_tables_recovers_every_determinable_cell(tmp_path):
    generate_corpus(tmp_path, n=N_REPORTS, seed=7, formats=FORMATS)
    stats, examples = score(tmp_path)
    text = summary(stats, examples)
    (tmp_path / "roundtrip.txt").write_text(text, encoding="utf-8")
    bad = {layout: c for layout, c in stats.items() if c["wrong"] or c["guessed"] or c["crashed_reports"]}
    assert not bad, "cells not recovered (per layout):\n" + text
