"""Across reports: repeated wording, boilerplate, promises and keywords — from frames only.

Everything here takes the statements frame (``STATEMENT_COLUMNS``, as written to
``statements.csv``) and a reports frame with ``report_id``, ``agency`` and ``year``
(``REPORT_COLUMNS``), so it runs after a parallel pass without Report objects.

- :func:`repeats`: statements an agency repeats from its previous year's report
  (agencies grouped by :func:`gdtools.agency.normalize_agency`), with :func:`copy_rates`
  per report. Evaluators found reports up to 90% identical to the previous year's.
- :func:`boilerplate`: the same wording used by several agencies (MinHash buckets,
  checked by Jaccard similarity).
- :func:`promises`: a measure promised in year t followed by a problem of the same theme
  in year t+1 (the promise did not fix it, or the text was copied).
- :func:`keywords`: TF-IDF (IDF from the corpus being analysed) or TextRank per report,
  agency or year, on the :class:`~gdtools.segment.Segmenter`'s content words.
"""

from __future__ import annotations

import json
import math
import operator
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

import pandas as pd

from .agency import normalize_agency
from .errors import GdtoolsError

try:  # difflib compiled with Cython (the `fast` extra): the same matching blocks, 2-3x faster
    from cydifflib import SequenceMatcher
except ImportError:
    from difflib import SequenceMatcher

REPEAT_COLUMNS = [
    "report_id", "source", "agency", "year", "section", "idx", "kind", "text", "previous_report_id",
    "previous_year", "previous_idx", "previous_text", "similarity", "containment", "match",
]
COPY_COLUMNS = [
    "report_id", "agency", "year", "previous_report_id", "statements", "repeated", "copy_rate",
    "chars", "repeated_chars", "char_copy_rate",
]
BOILERPLATE_COLUMNS = ["cluster", "report_id", "agency", "year", "section", "idx", "kind", "text",
                       "cluster_size", "agencies"]
PROMISE_COLUMNS = [
    "agency", "year", "report_id", "idx", "measure", "next_year", "next_report_id", "next_idx", "problem",
    "shared_themes", "similarity",
]
KEYWORD_COLUMNS = ["group", "method", "rank", "keyword", "score"]

# Text that changes every year by itself (years, counts) or names the author differently
# (我厅/我局/本机关) is removed before comparing statements.
_VARIABLE = re.compile(r"[\d０-９〇零一二三四五六七八九十百千]+\s*年(?:度)?|\d+(?:\.\d+)?|[我本](?:厅|局|委|区|县|市|办|部|省|机关|单位|镇|街道)"
                       r"|[\s\W_]+")


class NarrativeError(GdtoolsError):
    """A frame given to the narrative functions lacks a column they need."""


def _need(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise NarrativeError(f"{what} lacks column(s) {', '.join(missing)}: pass the frame written by "
                             f"gdtools (statements.csv / reports.csv)")


def comparable(text: str) -> str:
    """A statement reduced to what copying keeps: no years, numbers, self-references, punctuation."""
    return _VARIABLE.sub("", str(text))


def _bigrams(text: str) -> Counter:
    return Counter(text[i:i + 2] for i in range(len(text) - 1))


def _overlap(a: Counter, b: Counter) -> int:
    return sum((a & b).values())


def theme_list(value) -> list[str]:
    """Themes of one statement as a sorted list, whether stored as a list, JSON text or ``;``-joined text (CSV)."""
    if value is None or (not isinstance(value, (list, tuple, set)) and pd.isna(value)):
        return []
    if isinstance(value, (list, tuple, set)):
        return sorted({str(v) for v in value if str(v)})
    text = str(value).strip()
    if text.startswith("["):
        try:
            return sorted({str(v) for v in json.loads(text) if str(v)})
        except ValueError:
            pass
    return sorted({part.strip() for part in re.split(r"[;；,，|]", text) if part.strip()})


def _meta(reports: pd.DataFrame) -> pd.DataFrame:
    _need(reports, ["report_id", "agency", "year"], "reports frame")
    meta = reports[["report_id", "agency", "year"]].drop_duplicates("report_id").copy()
    meta["agency_key"] = meta["agency"].map(normalize_agency)
    meta["year"] = pd.to_numeric(meta["year"], errors="coerce")
    return meta[meta["agency_key"].ne("") & meta["year"].notna()].astype({"year": "int64"})


def _previous_pairs(meta: pd.DataFrame) -> list[tuple[str, str]]:
    """(report, report of the same agency for the year before) for every such pair."""
    by_key = defaultdict(list)
    for row in meta.itertuples(index=False):
        by_key[(row.agency_key, row.year)].append(row.report_id)
    pairs = []
    for (key, year), ids in sorted(by_key.items()):
        for rid in ids:
            pairs.extend((rid, prev) for prev in by_key.get((key, year - 1), ()) if prev != rid)
    return pairs


def _aligned(a: str, b: str) -> int:
    """Characters of ``a`` and ``b`` that align in order (difflib matching blocks)."""
    if a == b:  # verbatim copies are common: all of it aligns (difflib finds one block)
        return len(a)
    return sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())


def repeats(statements: pd.DataFrame, reports_frame: pd.DataFrame, *, threshold: float = 0.66,
            window_threshold: float = 0.72, min_chars: int = 8, sections: Iterable[str] | None = ("五",),
            window: int = 3) -> pd.DataFrame:
    """Statements repeated from the same agency's report of the previous year.

    Texts are compared after :func:`comparable` (years, numbers, self-references and
    punctuation removed) by characters that align in order. A statement of year t repeats
    a statement of year t−1 when the aligned characters cover at least ``threshold`` of
    the shorter of the two (one reworded sentence inside a longer one counts); failing
    that, when a run of 2…``window`` consecutive previous statements covers at least
    ``window_threshold`` of it (the same text split differently). Columns
    ``REPEAT_COLUMNS``: ``containment`` is the deciding share, ``similarity`` the Dice
    overlap ``2·aligned/(len_a+len_b)``, ``match`` ``verbatim`` / ``near_verbatim``
    (containment ≥ 0.9 or similarity ≥ 0.8) / ``partial``, ``previous_idx`` the matched
    statement indices joined with ``;``. Statements shorter than ``min_chars`` are skipped.
    """
    _need(statements, ["report_id", "section", "idx", "text"], "statements frame")
    meta = _meta(reports_frame)
    frame = statements if sections is None else statements[statements["section"].isin(list(sections))]
    by_report = _records(frame)
    years = dict(zip(meta["report_id"], meta["year"]))
    agencies = dict(zip(meta["report_id"], meta["agency"]))
    prepared: dict = {}
    with_runs: dict = {}

    def prepare(rid):
        if rid not in prepared:
            prepared[rid] = _prepare(by_report[rid])
        return prepared[rid]

    def previous(rid):  # a previous report is compared by its runs of statements too
        if rid not in with_runs:
            with_runs[rid] = (*prepare(rid), _runs(prepare(rid), window))
        return with_runs[rid]

    rows = []
    for rid, prev in _previous_pairs(meta):
        if rid not in by_report or prev not in by_report:
            continue
        rows.extend(_repeats_between(prepare(rid), previous(prev), (threshold, window_threshold), min_chars,
                                     agencies[rid], years[rid], years[prev]))
    return pd.DataFrame(rows, columns=REPEAT_COLUMNS)


def _records(frame: pd.DataFrame) -> dict[str, list[dict]]:
    """Statements per report as plain dicts in (section, idx) order (pandas rows are slow)."""
    columns = [c for c in ("report_id", "source", "section", "idx", "kind", "text") if c in frame.columns]
    ordered = frame.sort_values(["report_id", "section", "idx"], kind="stable")
    out: dict[str, list[dict]] = defaultdict(list)
    for values in zip(*(ordered[c].tolist() for c in columns)):
        rec = dict(zip(columns, values))
        out[rec["report_id"]].append(rec)
    return out


def _gramset(text: str) -> frozenset:
    """The character bigrams of ``text`` (each character joined to the next one)."""
    return frozenset(map(operator.add, text, text[1:]))


def _prepare(records: list[dict]) -> tuple[list[dict], list[str], list[frozenset]]:
    texts = [comparable(r["text"]) for r in records]
    return records, texts, [_gramset(t) for t in texts]


def _runs(prepared: tuple[list[dict], list[str], list[frozenset]], window: int) -> list[tuple]:
    """Runs of 2…``window`` consecutive statements of one section: (first, last, joined text, the bigrams
    across its joins). The joined text's bigrams are those of its statements and those across the joins."""
    records, texts, _ = prepared
    runs = []
    for i in range(len(records)):
        joined, across = texts[i], ()
        for j in range(i + 1, min(i + window, len(records))):
            if records[j]["section"] != records[i]["section"]:
                break
            if joined and texts[j]:
                across = (*across, joined[-1] + texts[j][0])
            joined = joined + texts[j]
            runs.append((i, j, joined, across))
    return runs


def _repeats_between(current, previous, thresholds: tuple[float, float], min_chars: int,
                     agency, year, previous_year) -> list[dict]:
    threshold, window_threshold = thresholds
    prev_rows, prev_text, prev_grams, runs = previous
    out = []
    for row, text, grams in zip(current[0], current[1], current[2]):
        if len(text) < min_chars:
            continue
        # candidates: one previous statement covering most of the shorter text, or a run of
        # consecutive ones covering most of this one; the candidate aligning most characters wins
        best = None  # (aligned, -statements, containment, similarity, i, j)
        shared = [grams & other_grams for other_grams in prev_grams]  # the bigrams shared with each one
        for i, other in enumerate(prev_text):
            if len(other) < min_chars:
                continue
            if best is not None and min(len(text), len(other)) <= best[0]:
                continue  # it aligns at most that many characters: it cannot beat the best so far
            # a cheap test on shared bigrams skips pairs that share little before aligning them
            if len(shared[i]) < 0.5 * threshold * (min(len(text), len(other)) - 1):
                continue
            common = _aligned(text, other)
            containment = common / min(len(text), len(other))
            candidate = (common, 0, containment, 2 * common / (len(text) + len(other)), i, i)
            if containment >= threshold and (best is None or candidate[:2] > best[:2]):
                best = candidate
        for i, j, joined, across in runs:
            if best is not None and (min(len(text), len(joined)), i - j) <= best[:2]:
                continue  # the same: at most that many aligned characters, from more statements
            # the bigrams shared with the joined text: those shared with its statements and across its joins
            if len(shared[i].union(*shared[i + 1:j + 1], grams.intersection(across))) \
                    < 0.5 * window_threshold * (len(text) - 1):
                continue
            common = _aligned(text, joined)
            containment = common / len(text)
            candidate = (common, i - j, containment, 2 * common / (len(text) + len(joined)), i, j)
            if containment >= window_threshold and (best is None or candidate[:2] > best[:2]):
                best = candidate
        if best is None:
            continue
        _, _, containment, similarity, i, j = best
        joined = "".join(prev_text[i:j + 1])
        match = ("verbatim" if joined == text else
                 "near_verbatim" if similarity >= 0.8 or containment >= 0.9 else "partial")
        out.append({
            "report_id": row["report_id"], "source": row.get("source"), "agency": agency, "year": year,
            "section": row["section"], "idx": row["idx"], "kind": row.get("kind"), "text": row["text"],
            "previous_report_id": prev_rows[i]["report_id"], "previous_year": previous_year,
            "previous_idx": ";".join(str(prev_rows[k]["idx"]) for k in range(i, j + 1)),
            "previous_text": "".join(str(prev_rows[k]["text"]) for k in range(i, j + 1)),
            "similarity": round(similarity, 3), "containment": round(containment, 3), "match": match,
        })
    return out


def copy_rates(statements: pd.DataFrame, reports_frame: pd.DataFrame, repeated: pd.DataFrame | None = None,
               *, sections: Iterable[str] | None = ("五",), **options) -> pd.DataFrame:
    """Per report that has a previous-year report of its agency: share of statements (and of
    characters) repeated from it. ``repeated`` is a :func:`repeats` frame (computed when None)."""
    meta = _meta(reports_frame)
    frame = statements if sections is None else statements[statements["section"].isin(list(sections))]
    if repeated is None:
        repeated = repeats(statements, reports_frame, sections=sections, **options)
    hits = {(r.report_id, r.section, r.idx) for r in repeated.itertuples(index=False)}
    years = dict(zip(meta["report_id"], meta["year"]))
    agencies = dict(zip(meta["report_id"], meta["agency"]))
    groups = {rid: grp for rid, grp in frame.groupby("report_id", sort=False)}
    rows = []
    for rid, prev in _previous_pairs(meta):
        if rid not in groups or prev not in groups:
            continue
        grp = groups[rid]
        flags = [(r.report_id, r.section, r.idx) in hits for r in grp.itertuples(index=False)]
        lengths = grp["text"].astype(str).map(lambda t: len(comparable(t))).tolist()
        chars = sum(lengths)
        rep_chars = sum(n for n, f in zip(lengths, flags) if f)
        rows.append({"report_id": rid, "agency": agencies[rid], "year": years[rid], "previous_report_id": prev,
                     "statements": len(flags), "repeated": sum(flags),
                     "copy_rate": round(sum(flags) / len(flags), 3) if flags else None,
                     "chars": chars, "repeated_chars": rep_chars,
                     "char_copy_rate": round(rep_chars / chars, 3) if chars else None})
    return pd.DataFrame(rows, columns=COPY_COLUMNS)


def _minhash(shingles: set[str], seeds: range) -> list[int]:
    return [min(zlib.crc32(s.encode("utf-8"), seed) for s in shingles) for seed in seeds]


def boilerplate(statements: pd.DataFrame, reports_frame: pd.DataFrame, *, min_agencies: int = 2,
                threshold: float = 0.7, min_chars: int = 12, bands: int = 8, rows: int = 3) -> pd.DataFrame:
    """Clusters of near-identical statements used by at least ``min_agencies`` agencies.

    Character 3-gram shingles of :func:`comparable` text, MinHash with ``bands`` × ``rows``
    hash functions for candidate pairs, Jaccard ≥ ``threshold`` to confirm; clusters are
    connected components. Deterministic (CRC32 with fixed seeds).
    """
    _need(statements, ["report_id", "idx", "text"], "statements frame")
    meta = _meta(reports_frame)
    merged = statements.merge(meta, on="report_id", how="inner").reset_index(drop=True)
    texts = [comparable(t) for t in merged["text"].astype(str)]
    # identical texts share one node; near-identical ones are joined through MinHash buckets
    unique: dict[str, int] = {}
    node = [unique.setdefault(t, len(unique)) if len(t) >= min_chars else -1 for t in texts]
    uniq_texts = list(unique)
    shingles = [{t[i:i + 3] for i in range(len(t) - 2)} for t in uniq_texts]
    seeds = range(1, bands * rows + 1)
    buckets = defaultdict(list)
    for n, sh in enumerate(shingles):
        if not sh:
            continue
        sig = _minhash(sh, seeds)
        for b in range(bands):
            buckets[(b, tuple(sig[b * rows:(b + 1) * rows]))].append(n)
    parent = list(range(len(uniq_texts)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    # compare each bucket member with the bucket's first member only: linear in bucket size
    # (a national corpus puts thousands of variants of one stock sentence in one bucket)
    for members in buckets.values():
        head = members[0]
        for other in members[1:]:
            if find(other) == find(head):
                continue
            inter = len(shingles[head] & shingles[other])
            if inter / len(shingles[head] | shingles[other]) >= threshold:
                parent[find(other)] = find(head)
    groups = defaultdict(list)
    for n, u in enumerate(node):
        if u >= 0:
            groups[find(u)].append(n)
    out = []
    keys = merged["agency_key"].tolist()
    clusters = [m for m in groups.values() if len({keys[n] for n in m}) >= min_agencies]
    clusters.sort(key=lambda m: (-len({keys[n] for n in m}), min(m)))
    for number, members in enumerate(clusters):
        n_agencies = len({keys[n] for n in members})
        for n in sorted(members):
            row = merged.iloc[n]
            out.append({"cluster": number, "report_id": row["report_id"], "agency": row["agency"],
                        "year": row["year"], "section": row.get("section"), "idx": row["idx"],
                        "kind": row.get("kind"), "text": row["text"], "cluster_size": len(members),
                        "agencies": n_agencies})
    return pd.DataFrame(out, columns=BOILERPLATE_COLUMNS)


def promises(statements: pd.DataFrame, reports_frame: pd.DataFrame, *, ignore: Iterable[str] = ("other",)) -> pd.DataFrame:
    """Measures of year t whose theme comes back as a problem of the same agency in year t+1.

    One row per (measure, later problem) sharing at least one theme (``ignore`` left out);
    ``similarity`` is the bigram Dice overlap of the two texts (high = the problem was
    copied back, low = a new wording of the same weakness).
    """
    _need(statements, ["report_id", "idx", "kind", "text", "themes"], "statements frame")
    meta = _meta(reports_frame)
    ignore = set(ignore)
    frame = statements[statements["kind"].isin(["problem", "measure"])]
    by_report: dict[str, dict[str, list]] = defaultdict(lambda: {"measure": [], "problem": []})
    for rid, idx, kind, text, labels in zip(frame["report_id"], frame["idx"], frame["kind"], frame["text"],
                                            frame["themes"]):
        grams = _bigrams(comparable(text))
        by_report[rid][kind].append((idx, text, set(theme_list(labels)) - ignore, grams, sum(grams.values())))
    years = dict(zip(meta["report_id"], meta["year"]))
    agencies = dict(zip(meta["report_id"], meta["agency"]))
    rows = []
    for later, earlier in _previous_pairs(meta):
        if later not in by_report or earlier not in by_report:
            continue
        for m_idx, m_text, m_themes, m_grams, m_total in by_report[earlier]["measure"]:
            for p_idx, p_text, p_themes, p_grams, p_total in by_report[later]["problem"]:
                shared = m_themes & p_themes
                if not shared:
                    continue
                total = m_total + p_total
                rows.append({"agency": agencies[earlier], "year": years[earlier], "report_id": earlier,
                             "idx": m_idx, "measure": m_text, "next_year": years[later], "next_report_id": later,
                             "next_idx": p_idx, "problem": p_text, "shared_themes": ";".join(sorted(shared)),
                             "similarity": round(2 * _overlap(m_grams, p_grams) / total, 3) if total else 0.0})
    return pd.DataFrame(rows, columns=PROMISE_COLUMNS)


# ----------------------------------------------------------------------------- keywords

def _documents(data, by: str, reports: pd.DataFrame | None) -> dict:
    """Group texts into documents keyed by ``by``."""
    if isinstance(data, pd.DataFrame):
        _need(data, ["text"], "statements frame")
        frame = data
        if by not in frame.columns:
            if reports is None:
                raise NarrativeError(f"statements have no column {by!r}: pass reports=… (with report_id and {by})")
            _need(reports, ["report_id", by], "reports frame")
            frame = frame.merge(reports[["report_id", by]].drop_duplicates("report_id"), on="report_id", how="left")
        docs: dict = defaultdict(list)
        for key, text in zip(frame[by], frame["text"]):
            if isinstance(text, str) and not (isinstance(key, float) and math.isnan(key)):
                docs[key].append(text)
        return {k: "\n".join(v) for k, v in docs.items()}
    if isinstance(data, Mapping):
        return {k: str(v) for k, v in data.items()}
    if isinstance(data, pd.Series):
        return {k: str(v) for k, v in data.items()}
    return dict(enumerate(str(t) for t in data))


def textrank(words: list[str], *, window: int = 5, damping: float = 0.85, iterations: int = 100,
             tol: float = 1e-6) -> dict[str, float]:
    """TextRank scores of ``words`` (co-occurrence within ``window`` words, undirected, weighted)."""
    edges: dict[str, Counter] = defaultdict(Counter)
    for i, w in enumerate(words):
        for v in words[i + 1:i + window]:
            if v != w:
                edges[w][v] += 1
                edges[v][w] += 1
    if not edges:
        return {w: 1.0 for w in set(words)}
    nodes = sorted(edges)
    out_weight = {n: sum(edges[n].values()) for n in nodes}
    score = dict.fromkeys(nodes, 1.0)
    for _ in range(iterations):
        new = {n: (1 - damping) + damping * sum(edges[n][m] / out_weight[m] * score[m] for m in edges[n])
               for n in nodes}
        delta = max(abs(new[n] - score[n]) for n in nodes)
        score = new
        if delta < tol:
            break
    return score


def keywords(statements_or_texts, by: str = "report_id", *, method: str = "tfidf", top: int = 10,
             reports: pd.DataFrame | None = None, segmenter=None, min_count: int = 1) -> pd.DataFrame:
    """Top ``top`` keywords per group, ``KEYWORD_COLUMNS`` (``group``, ``method``, ``rank`` from 1,
    ``keyword``, ``score``).

    ``statements_or_texts``: a statements frame (grouped by column ``by``; ``agency`` or
    ``year`` are joined from ``reports`` when absent), a mapping {group: text}, a Series or
    a list of texts. ``method``: ``tfidf`` (term frequency × smoothed IDF over the groups
    being analysed, ``log((1+N)/(1+df))+1``) or ``textrank``. Words are the Segmenter's
    content words (domain terms whole, stopwords dropped); ties break alphabetically.
    """
    if method not in ("tfidf", "textrank"):
        raise NarrativeError(f"method must be 'tfidf' or 'textrank', got {method!r}")
    if segmenter is None:
        from .segment import Segmenter

        segmenter = Segmenter()
    docs = _documents(statements_or_texts, by, reports)
    tokens = {key: segmenter.tokens(text, content=True) for key, text in docs.items()}
    rows = []
    if method == "tfidf":
        df = Counter()
        for words in tokens.values():
            df.update(set(words))
        n_docs = len(tokens)
        for key, words in tokens.items():
            counts = Counter(words)
            total = sum(counts.values())
            scores = {w: c / total * (math.log((1 + n_docs) / (1 + df[w])) + 1)
                      for w, c in counts.items() if c >= min_count}
            rows.extend(_top(key, method, scores, top))
    else:
        for key, words in tokens.items():
            counts = Counter(words)
            scores = {w: s for w, s in textrank(words).items() if counts[w] >= min_count}
            rows.extend(_top(key, method, scores, top))
    return pd.DataFrame(rows, columns=KEYWORD_COLUMNS)


def _top(key, method: str, scores: dict[str, float], top: int) -> list[dict]:
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"group": key, "method": method, "rank": r, "keyword": w, "score": round(s, 6)}
            for r, (w, s) in enumerate(ranked, 1)]
