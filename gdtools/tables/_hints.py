"""Evidence from outside a table that narrows uncertain table 二 cells.

Table 二 has no arithmetic, so a glued run (``8855698``) admits several splits. Two kinds of
evidence may still settle it, and both only ever *remove* readings of a row that has more
than one (an unambiguous printed value is never overridden, and evidence contradicting
every reading is ignored):

* the report's own narrative stating the figure of the same row and column unambiguously
  (``本年度制发行政规范性文件62件``): :func:`narrative_figures` / :func:`apply_narrative`;
* the adjacent years of the same agency (:func:`gdtools.tables.refine_tables`).
"""

from __future__ import annotations

import re
from collections.abc import Collection

# (version, row) → [(column code, column keyword pattern)]
_KEYWORDS = {
    ("v2021", "normative_docs"): [("issued", r"制发|印发"), ("repealed", r"废止"), ("in_force", r"现行有效")],
    ("v2019", "normative_docs"): [("made", r"新制作|制发|印发")],
}
_ROW = {"normative_docs": r"(?:行政)?规范性文件"}
# inside one clause: no punctuation, no digit between the keywords and the number
_GAP = r"[^，。；、,;：:\d\s|]"


def narrative_figures(text: str, version: str, rows: Collection[str] | None = None
                      ) -> dict[tuple[str, str], tuple[float, str]]:
    """``{(row, col): (value, evidence)}`` stated in one clause of ``text`` as keyword + number + 件.

    A figure stated twice with different numbers is dropped (not unambiguous). ``rows``: only
    look for these rows' figures (the rows with several readings; the text is not searched
    for evidence nothing would use).
    """
    found: dict[tuple[str, str], set[tuple[float, str]]] = {}
    for (ver, row), cols in _KEYWORDS.items():
        if ver != version or (rows is not None and row not in rows):
            continue
        for col, kw in cols:
            patterns = (rf"(?P<kw>{kw}){_GAP}{{0,12}}?{_ROW[row]}{_GAP}{{0,3}}?(?<!\d)(?P<n>\d+)\s*件(?!数)",
                        rf"{_ROW[row]}{_GAP}{{0,6}}?(?P<kw>{kw}){_GAP}{{0,3}}?(?<!\d)(?P<n>\d+)\s*件(?!数)")
            for pat in patterns:
                for m in re.finditer(pat, text):
                    found.setdefault((row, col), set()).add((float(m.group("n")), m.group("kw")))
    out = {}
    for key, hits in found.items():
        values = {v for v, _ in hits}
        if len(values) == 1:
            value, word = sorted(hits)[0]
            out[key] = (value, f"正文: {word}…{int(value)}件")
    return out


def apply_narrative(rows: dict[str, list[tuple]], cols: dict[str, list[str]], raw: dict[str, str],
                    figures: dict[tuple[str, str], tuple[float, str]], short: frozenset | set = frozenset()
                    ) -> None:
    """Keep, in rows with several readings, only those agreeing with ``figures`` (in place).

    In a ``short`` row (a grid row that lost cells) an empty cell is one not printed in
    the row, so it agrees with any figure; a value printed there must equal it.
    """
    for (row, col), (value, evidence) in figures.items():
        readings = rows.get(row) or []
        if len(readings) < 2 or col not in cols.get(row, []):
            continue
        i = cols[row].index(col)
        kept = [r for r in readings if (r[i] is None and row in short)
                or (r[i] is not None and abs(r[i] - value) < 1e-6)]
        if kept and len(kept) < len(readings):
            rows[row] = kept
            raw[row] = f"{raw.get(row, '')} [{evidence}]".strip()
