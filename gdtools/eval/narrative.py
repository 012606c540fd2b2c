"""Accuracy of statements, kinds, themes and repeats against hand-coded section 五.

``<folder>/narrative/*.json`` hold hand-coded statements (``text``, ``kind``, ``themes``,
``char_start``/``char_end`` into the file as published, ``repeats_previous_year``,
``previous_year_report_in_set``); the reports are in ``<folder>/reports/``. Gold
statements are located in ``Report.text`` by their text (whitespace and PDF page numbers
ignored, since loaders normalise both) and matched to predicted statements by character
overlap. Bars: kind accuracy ≥ 0.90, F1 problem ≥ 0.85, F1 measure ≥ 0.90, theme micro-F1
≥ 0.75, every gold repeat found and none reported between years the gold says share nothing.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

BARS = {"kind_accuracy": 0.90, "f1_problem": 0.85, "f1_measure": 0.90, "theme_micro_f1": 0.75,
        "repeat_recall": 1.0}
_SKIP = re.compile(r"\s+|[-－—]\s*\d{1,3}\s*[-－—]")


def _squeeze(text: str) -> tuple[str, list[int]]:
    """Text without whitespace/page numbers, and for each kept character its offset in ``text``."""
    kept, index, pos = [], [], 0
    for m in _SKIP.finditer(text):
        for k in range(pos, m.start()):
            kept.append(text[k])
            index.append(k)
        pos = m.end()
    for k in range(pos, len(text)):
        kept.append(text[k])
        index.append(k)
    return "".join(kept), index


def locate(report_text: str, gold: list[dict]) -> list[tuple[int, int] | None]:
    """Spans of the gold statements in ``report_text`` (None when not found), in order."""
    squeezed, index = _squeeze(report_text)
    spans, cursor = [], 0
    for item in gold:
        needle, _ = _squeeze(item["text"])
        if not needle:
            spans.append(None)
            continue
        at = squeezed.find(needle, cursor)
        if at < 0:
            at = squeezed.find(needle)
        if at < 0:
            head, tail = needle[:12], needle[-12:]
            a = squeezed.find(head, cursor)
            b = squeezed.find(tail, a + 1) if a >= 0 else -1
            if a < 0 or b < 0 or b - a > 3 * len(needle):
                spans.append(None)
                continue
            at, end = a, b + len(tail)
        else:
            end = at + len(needle)
        spans.append((index[at], index[end - 1] + 1))
        cursor = end
    return spans


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def match(gold_spans: list[tuple[int, int] | None], predicted: pd.DataFrame) -> tuple[list[int | None], list[int | None]]:
    """Best predicted row for each gold statement and best gold for each predicted row
    (by overlap; a match needs half of the shorter one covered)."""
    pred = list(zip(predicted["start"], predicted["end"]))
    gold_to_pred: list[int | None] = []
    for span in gold_spans:
        best, best_ov = None, 0
        if span is not None:
            for k, p in enumerate(pred):
                ov = _overlap(span, p)
                if ov > best_ov:
                    best, best_ov = k, ov
        if best is not None and best_ov * 2 < min(span[1] - span[0], pred[best][1] - pred[best][0]):
            best = None
        gold_to_pred.append(best)
    pred_to_gold: list[int | None] = []
    for p in pred:
        best, best_ov = None, 0
        for g, span in enumerate(gold_spans):
            if span is not None and _overlap(span, p) > best_ov:
                best, best_ov = g, _overlap(span, p)
        if best is not None and best_ov * 2 < min(gold_spans[best][1] - gold_spans[best][0], p[1] - p[0]):
            best = None
        pred_to_gold.append(best)
    return gold_to_pred, pred_to_gold


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(folder, out=None) -> bool:
    """Print the scores for ``folder`` to ``out`` (stdout by default); True when every bar is met."""
    from ..io import load_report
    from ..narrative import repeats, theme_list
    from ..statements import statements

    out = out or sys.stdout
    folder = Path(folder)
    golds = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((folder / "narrative").glob("*.json"))}
    if not golds:
        print(f"no hand-coded narrative files in {folder / 'narrative'}", file=out)
        return False
    kinds_ok = total = 0
    counts = {k: Counter() for k in ("problem", "measure")}
    theme = Counter()
    frames, metas, mapping = [], [], {}
    unfound = 0
    for stem, gold in golds.items():
        path = folder / "reports" / gold.get("file", stem)
        try:
            report = load_report(path)
        except Exception as exc:  # a report that does not load counts as all statements missed
            print(f"{path.name}: not loaded ({exc})", file=out)
            total += len(gold["statements"])
            for item in gold["statements"]:
                if item["kind"] in counts:
                    counts[item["kind"]]["fn"] += 1
                theme["fn"] += len(item["themes"])
            continue
        pred = statements(report, sections=("五",))
        frames.append(pred)
        metas.append({"report_id": report.report_id, "agency": gold.get("agency") or report.meta("agency"),
                      "year": gold.get("year") or report.meta("year"), "file": path.name})
        spans = locate(report.text, gold["statements"])
        unfound += sum(s is None for s in spans)
        g2p, p2g = match(spans, pred)
        mapping[path.name] = (report.report_id, g2p, pred)
        for item, k in zip(gold["statements"], g2p):
            total += 1
            kind = None if k is None else pred.iloc[k]["kind"]
            kinds_ok += kind == item["kind"]
            if item["kind"] in counts:
                counts[item["kind"]]["tp" if kind == item["kind"] else "fn"] += 1
            got = set() if k is None or kind not in ("problem", "measure") else set(theme_list(pred.iloc[k]["themes"]))
            want = set(item["themes"])
            theme["tp"] += len(got & want)
            theme["fp"] += len(got - want)
            theme["fn"] += len(want - got)
        for row, g in zip(pred.itertuples(index=False), p2g):
            gold_kind = None if g is None else gold["statements"][g]["kind"]
            if row.kind in counts and gold_kind != row.kind:
                counts[row.kind]["fp"] += 1
    scores = {
        "kind_accuracy": kinds_ok / total if total else 0.0,
        "f1_problem": _f1(counts["problem"]["tp"], counts["problem"]["fp"], counts["problem"]["fn"]),
        "f1_measure": _f1(counts["measure"]["tp"], counts["measure"]["fp"], counts["measure"]["fn"]),
        "theme_micro_f1": _f1(theme["tp"], theme["fp"], theme["fn"]),
    }
    rep = _repeat_scores(golds, frames, metas, mapping, repeats)
    scores.update(rep)
    print(f"narrative: {len(golds)} hand-coded reports, {total} statements ({unfound} not located in the loaded text)",
          file=out)
    for name, value in scores.items():
        if name == "false_repeat_pairs":
            continue
        bar = BARS.get(name)
        note = "" if bar is None else f"  (bar {bar:.2f}{'' if value >= bar else '  BELOW'})"
        print(f"  {name:<22} {value:.3f}{note}", file=out)
    ok = all(scores[name] >= bar for name, bar in BARS.items()) and scores["false_repeat_pairs"] == 0
    print(f"  {'false_repeat_pairs':<22} {scores['false_repeat_pairs']:.0f}  (bar 0)", file=out)
    print("narrative: " + ("PASS" if ok else "FAIL"), file=out)
    return ok


def _repeat_scores(golds, frames, metas, mapping, repeats_fn) -> dict:
    """Recall/precision of repeated statements over report pairs both in the folder."""
    if not frames:
        return {"repeat_recall": 0.0, "repeat_precision": 0.0, "false_repeat_pairs": 0.0}
    reports = pd.DataFrame(metas)
    found = repeats_fn(pd.concat(frames, ignore_index=True), reports)
    by_file = dict(zip(reports["file"], reports["report_id"]))
    tp = fn = fp = false_pairs = 0
    for gold in golds.values():
        prev = gold.get("previous_year_report_in_set")
        name = gold.get("file")
        if not prev or prev not in by_file or name not in mapping:
            continue
        rid, g2p, pred = mapping[name]
        want = {r["statement_index"] for r in gold.get("repeats_previous_year") or []}
        hits = found[(found["report_id"] == rid) & (found["previous_report_id"] == by_file[prev])]
        got_idx = set(hits["idx"])
        pred_idx = pred["idx"].tolist()
        for g in want:
            k = g2p[g] if g < len(g2p) else None
            tp += k is not None and pred_idx[k] in got_idx
            fn += k is None or pred_idx[k] not in got_idx
        matched = {pred_idx[k]: g for g, k in enumerate(g2p) if k is not None}
        extra = [i for i in got_idx if matched.get(i) not in want]
        fp += len(extra)
        false_pairs += bool(got_idx) and not want
    return {"repeat_recall": tp / (tp + fn) if tp + fn else 1.0,
            "repeat_precision": tp / (tp + fp) if tp + fp else 1.0,
            "false_repeat_pairs": float(false_pairs)}
