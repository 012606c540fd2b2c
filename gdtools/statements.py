"""Narrative sections as statements: the units a researcher codes.

Section 五 (存在的主要问题及改进情况, or the legacy 存在的主要问题和改进措施) is split into
statements: each enumerated item (一是…, 1、…, （一）…, 首先…) is one statement even when
it runs over several sentences; outside enumerations each sentence (。；！？) is one.
Sub-headings that only structure the section (（一）存在的主要问题 / （二）改进措施) are
left out. Every statement keeps its character offsets into ``Report.text``.

In section 五 each statement is a ``problem``, a ``measure`` or ``other`` (framing such as
"仍存在一些不足", lead-ins such as "将采取以下措施：", introductions before a list). The
decision uses the cues in ``gdtools/spec/cues.yaml`` and position: problems come first,
a transition (下一步, 今后, 我们将, a later year, an 改进措施 sub-heading) turns the rest into
measures. ``cue`` says what decided. Themes come from ``gdtools/spec/themes.yaml``
(multi-label; pass your own lexicon). Statements of other sections (一, 六) carry no kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import yaml

from .model import STATEMENT_COLUMNS, Report
from .spec import read_text

NARRATIVE = "五"
DEFAULT_SECTIONS = ("一", "五", "六")
PROBLEM, MEASURE, OTHER = "problem", "measure", "other"
_SEQUENCE_WORDS = {"首先": 1, "其次": 2, "再次": 3, "然后": 3, "最后": 0}
_NUMERIC_DTYPES = {"idx": "int64", "start": "int64", "end": "int64", "specificity": "float64"}
_CLOSERS = "”’」』）)】》\"'"
_TWO_CJK = re.compile(r"[\u4e00-\u9fff][^\u4e00-\u9fff]*[\u4e00-\u9fff]")  # at least two hanzi
# The opening sentence of a section 五 whose heading was lost: "…虽然…但仍存在…问题/不足".
_MEASURE_WORD = re.compile(r"措施|改进|整改|努力")  # a lead-in announcing measures
_CLAUSE_MARK = re.compile(r"[，,：:]")
_TITLE_STOP = re.compile(r"[：:]|\n")
_OPENING = re.compile(r"(?:虽然|但|仍|还)[^。；！？]{0,40}(?:存在|有)[^。；！？]{0,40}(?:问题|不足|差距)")


@dataclass
class _Cues:
    markers: list[tuple[str, re.Pattern]]
    boundary: re.Pattern
    sentence_end: re.Pattern
    subheading_max: int
    subheading_problem: re.Pattern
    subheading_measure: re.Pattern
    lead_in: re.Pattern
    transition: re.Pattern
    problem: re.Pattern
    generic_deficit: re.Pattern
    measure_verb: re.Pattern
    intro_min_themes: int
    closing: re.Pattern
    action: re.Pattern
    tail: re.Pattern
    noise: re.Pattern
    year_will: re.Pattern = field(default_factory=lambda: re.compile(r"^(\d{4})\s*年[^，。；]{0,3}[，,]?[^，。；]{0,12}(?:将|计划|拟)"))


@cache
def load_cues() -> _Cues:
    """The compiled cues of ``gdtools/spec/cues.yaml``."""
    raw = yaml.safe_load(read_text("cues.yaml"))
    return _Cues(
        markers=[(m["kind"], re.compile(m["pattern"])) for m in raw["markers"]],
        boundary=re.compile(raw["marker_boundary"]),
        sentence_end=re.compile(raw["sentence_end"]),
        subheading_max=int(raw["subheading_max_chars"]),
        subheading_problem=re.compile(raw["subheading_problem"]),
        subheading_measure=re.compile(raw["subheading_measure"]),
        lead_in=re.compile(raw["lead_in"]),
        transition=re.compile(raw["measure_transition"]),
        problem=re.compile(raw["problem"]),
        generic_deficit=re.compile(raw["generic_deficit"]),
        measure_verb=re.compile(raw["measure_verb"]),
        intro_min_themes=int(raw["intro_min_themes"]),
        closing=re.compile(raw["closing"]),
        action=re.compile(raw["action"]),
        tail=re.compile(raw["section_tail"]),
        noise=re.compile(raw["noise"]),
    )


@cache
def default_lexicon() -> dict[str, tuple[str, ...]]:
    """The default theme lexicon of ``gdtools/spec/themes.yaml`` (theme -> regex entries)."""
    raw = yaml.safe_load(read_text("themes.yaml"))
    return {theme: tuple(entries or ()) for theme, entries in raw.items()}


@cache
def _compile_lexicon(items: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, re.Pattern | None], ...]:
    return tuple((theme, re.compile("|".join(f"(?:{e})" for e in entries)) if entries else None)
                 for theme, entries in items)


def _lexicon_key(lexicon: Mapping[str, Iterable[str]] | None) -> tuple:
    lexicon = default_lexicon() if lexicon is None else lexicon
    return tuple((str(theme), tuple(entries or ())) for theme, entries in lexicon.items())


def normalize(text: str) -> str:
    """Text for matching: page numbers and all whitespace removed (PDF lines break mid-word)."""
    return load_cues().noise.sub("", text)


@cache
def _default_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    return _patterns_of(_compile_lexicon(_lexicon_key(None)))


def _patterns_of(compiled: tuple[tuple[str, re.Pattern | None], ...]) -> tuple[tuple[str, re.Pattern], ...]:
    return tuple((theme, pattern) for theme, pattern in compiled if pattern is not None)


def _patterns(lexicon: Mapping[str, Iterable[str]] | None) -> tuple[tuple[str, re.Pattern], ...]:
    """The compiled themes of ``lexicon`` (the default one when None) that have entries."""
    return _default_patterns() if lexicon is None else _patterns_of(_compile_lexicon(_lexicon_key(lexicon)))


def themes(text: str, lexicon: Mapping[str, Iterable[str]] | None = None, *, fallback: str | None = "other") -> list[str]:
    """Themes whose lexicon matches ``text`` (in lexicon order); ``[fallback]`` when none does."""
    return _themes_of(normalize(text), _patterns(lexicon), fallback)


def _names_a_theme(norm: str, patterns: tuple[tuple[str, re.Pattern], ...]) -> bool:
    """Does text already normalized match any theme (``_themes_of`` non-empty, without the others)?"""
    return any(pattern.search(norm) for _, pattern in patterns)


def _themes_of(norm: str, patterns: tuple[tuple[str, re.Pattern], ...], fallback: str | None) -> list[str]:
    """:func:`themes` of text already normalized."""
    found = [theme for theme, pattern in patterns if pattern.search(norm)]
    if not found and fallback is not None:
        return [fallback]
    return found


_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|万|亿|千|百)?\s*(?:件|条|次|篇|期|场|个|项|人次|人|家|份|元|万元|余)")
_DATE = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月)?|\d{1,2}\s*月\s*\d{1,2}\s*日|第[一二三四]季度|每[月季周年]|季度")
_TITLE = re.compile(r"《[^》]{2,40}》")
_QUOTED = re.compile(r"[“\"][^”\"]{2,20}[”\"]")
_SYSTEM_WORDS = "平台|系统|专栏|专区|网站|公众号|客户端|APP|App|热线|小程序"
_SYSTEM = re.compile(rf"[\u4e00-\u9fffA-Za-z0-9]{{2,12}}(?:{_SYSTEM_WORDS})")
_SYSTEM_WORD = re.compile(_SYSTEM_WORDS)  # cheap first test: _SYSTEM backtracks at every character


def specificity(text: str) -> float:
    """How concrete a statement is, 0 (generic wording) to 1.

    Counts what a generic sentence lacks: quantities with units (0.3 each), dates and
    periods (0.2), titles of documents 《…》 (0.25), named things in quotes (0.15), named
    platforms/systems (0.15); capped at 1.
    """
    return _specificity_of(normalize(text))


def _specificity_of(norm: str) -> float:
    """:func:`specificity` of text already normalized."""
    systems = len(_SYSTEM.findall(norm)) if _SYSTEM_WORD.search(norm) else 0
    score = (0.3 * len(_NUMBER.findall(norm)) + 0.2 * len(_DATE.findall(norm)) + 0.25 * len(_TITLE.findall(norm))
             + 0.15 * len(_QUOTED.findall(norm)) + 0.15 * systems)
    return round(min(score, 1.0), 3)


@dataclass
class Unit:
    """A piece of a section: a statement or an excluded sub-heading."""

    start: int
    end: int
    item: bool = False  # opened by an enumeration marker
    marker: str = ""  # the marker text (一是, （一）, 1、…)
    subheading: str = ""  # problem / measure for excluded sub-headings


def _markers(text: str, cues: _Cues) -> dict[int, tuple[str, int]]:
    """Accepted enumeration markers: start offset -> (marker text, end offset).

    A marker counts after a boundary character when its list starts at 1 and counts up
    (最后 closes any list). Crawled texts glue a heading to its first item ("…行为1、加强"),
    so a first item without a boundary counts when its second item has one; a marker
    out of sequence counts when a section sub-heading follows it ("（二）改进措施"); a
    misnumbered X是 (repeated or one skipped, a common typo) counts after a boundary.
    """
    found = []
    for kind, pattern in cues.markers:
        for m in pattern.finditer(text):
            pos = m.start()
            raw_n = m.group("n")
            n = _SEQUENCE_WORDS.get(raw_n)
            if n is None:
                n = int(raw_n) if raw_n.isdigit() else _chinese_ordinal(raw_n)
            bounded = pos == 0 or bool(cues.boundary.match(text[pos - 1]))
            found.append((pos, m.end(), kind, n, bounded))
    found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    seconds = {kind for _, _, kind, n, bounded in found if n == 2 and bounded}
    last: dict[str, int] = {}
    accepted: dict[int, tuple[str, int]] = {}
    covered = -1
    for pos, end, kind, n, bounded in found:
        if pos < covered:
            continue
        if bounded:
            ok = n in (1, 0) or last.get(kind) == n - 1
            # "一是…；三是…；三是…": a misnumbered X是 after a boundary still opens an item
            ok = ok or kind == "shi" and kind in last and n - last[kind] in (0, 2)
            if not ok:
                title_end = _title_end(text, end, len(text))
                ok = bool(title_end and _subheading(text[end:title_end], cues))
        else:
            ok = n == 1 and kind in seconds and kind in ("num", "paren_num", "shi")
        if ok:
            accepted[pos] = (text[pos:end], end)
            last[kind] = n
            covered = end
    return accepted


def _chinese_ordinal(raw: str) -> int:
    digits = "一二三四五六七八九十"
    if raw in ("①②③④⑤⑥⑦⑧⑨⑩"):
        return "①②③④⑤⑥⑦⑧⑨⑩".index(raw) + 1
    if len(raw) == 1:
        return digits.index(raw) + 1 if raw in digits else -1
    if raw.startswith("十"):
        return 10 + digits.index(raw[1]) + 1
    return -1


def _subheading(title: str, cues: _Cues) -> str:
    core = normalize(title).rstrip("：:。.、，,")
    if not core or len(core) > cues.subheading_max:
        return ""
    if cues.subheading_problem.search(core):
        return PROBLEM
    if cues.subheading_measure.search(core):
        return MEASURE
    return ""


def _is_break(text: str, cues: _Cues) -> bool:
    """Does this sentence end the enumerated item before it (a transition or a lead-in)?"""
    norm = normalize(text)
    return bool(cues.transition.search(norm) or cues.lead_in.search(norm) or norm.startswith("目前"))


def split_units(text: str, start: int = 0, end: int | None = None) -> list[Unit]:
    """Split ``text[start:end]`` into statements and excluded sub-headings (offsets into ``text``)."""
    cues = load_cues()
    end = len(text) if end is None else end
    body = text[start:end]
    tail = cues.tail.search(body)
    if tail:
        body = body[:tail.start()]
    markers = _markers(body, cues)
    # atomic segments: cut at sentence ends and before markers
    cuts = {0, len(body)} | set(markers)
    for m in cues.sentence_end.finditer(body):
        pos = m.end()
        while pos < len(body) and body[pos] in _CLOSERS:
            pos += 1
        cuts.add(pos)
    bounds = sorted(cuts)
    units: list[Unit] = []
    in_item = False
    for a, b in zip(bounds, bounds[1:]):
        piece = body[a:b]
        if not piece.strip():
            continue
        marker, mend = markers.get(a, ("", a))
        title_end = _title_end(body, mend, b)
        kind = _subheading(body[mend:title_end], cues) if title_end else ""
        if kind:
            units.append(Unit(a, title_end, subheading=kind))
            in_item = False
            if body[title_end:b].strip():
                units.append(Unit(title_end, b))
            continue
        if marker:
            units.append(Unit(a, b, item=True, marker=marker))
            in_item = True
            continue
        if in_item and units and not _is_break(piece, cues):
            units[-1].end = b
            continue
        units.append(Unit(a, b))
        in_item = False
    out = []
    for unit in units:
        s, e = unit.start, unit.end
        while s < e and (body[s].isspace() or body[s] in "；;，,"):
            s += 1
        while e > s and body[e - 1].isspace():
            e -= 1
        if not unit.subheading and not _TWO_CJK.search(body, s, e):
            continue
        unit.start, unit.end = s + start, e + start
        out.append(unit)
    return out


def _title_end(body: str, pos: int, limit: int) -> int | None:
    """End of a short title after a marker: just past the first ：/newline within the limit."""
    cues = load_cues()
    m = _TITLE_STOP.search(body, pos, min(limit, pos + cues.subheading_max + 4))
    if m:
        return m.end()
    if limit - pos <= cues.subheading_max + 2:
        return limit
    return None


def _followed_by_list(units: list[Unit], i: int, lead: list[bool], norms: list[str], cues: _Cues) -> bool:
    """Is unit ``i`` followed (after lead-ins) by an enumerated item that is not a problem?"""
    for j in range(i + 1, len(units)):
        if units[j].subheading or lead[j]:
            continue
        body = norms[j][len(normalize(units[j].marker)):]
        return units[j].item and not cues.problem.search(cues.generic_deficit.sub("", body))
    return False


def classify(text: str, units: list[Unit], year: int | None = None,
             lexicon: Mapping[str, Iterable[str]] | None = None) -> list[tuple[str, str]]:
    """``(kind, cue)`` for each unit of section 五 (sub-headings give ``(problem|measure, subheading)``)."""
    return _classify(units, [normalize(text[u.start:u.end]) for u in units], year, _patterns(lexicon))


def _classify(units: list[Unit], norms: list[str], year: int | None,
              patterns: tuple[tuple[str, re.Pattern], ...]) -> list[tuple[str, str]]:
    """:func:`classify` given the normalized text of every unit and the compiled lexicon."""
    cues = load_cues()
    lead = [bool(not u.subheading and cues.lead_in.search(n)) for u, n in zip(units, norms)]
    mode, mode_cue = PROBLEM, ""
    out = []
    for i, (unit, norm) in enumerate(zip(units, norms)):
        if unit.subheading:
            mode, mode_cue = unit.subheading, "subheading"
            out.append((unit.subheading, "subheading"))
            continue
        body = norm[len(normalize(unit.marker)):] if unit.item else norm
        transition = _transition(body, cues, year)
        if lead[i]:
            if transition or _MEASURE_WORD.search(body):
                mode, mode_cue = MEASURE, transition or "以下措施"
            out.append((OTHER, "lead-in"))
            continue
        if cues.closing.search(body):
            out.append((OTHER, "closing"))
            continue
        # the themes a statement names matter only outside items (matched only there: they cost most)
        if transition:
            mode, mode_cue = MEASURE, transition
            named = 0 if unit.item else len(_themes_of(normalize(body), patterns, None))
            if not unit.item and _followed_by_list(units, i, lead, norms, cues) and named < cues.intro_min_themes:
                out.append((OTHER, f"intro:{transition}"))
            elif not unit.item and not named:
                out.append((OTHER, f"generic:{transition}"))
            else:
                out.append((MEASURE, transition))
            continue
        specific = cues.problem.search(cues.generic_deficit.sub("", body))
        if mode == MEASURE:
            if specific and not cues.measure_verb.search(body) and not cues.action.search(body):
                # problems and measures alternate in some reports ("一是…不够。下一步将…。二是…滞后")
                out.append((PROBLEM, specific.group(0)))
                continue
            # a sentence after the measures that names nothing to do ("持续改进工作") is a closing
            named = unit.item or _names_a_theme(normalize(body), patterns)
            out.append((MEASURE, f"after:{mode_cue}") if named else (OTHER, "generic"))
            continue
        if specific:
            out.append((PROBLEM, specific.group(0)))
            continue
        deficit = cues.generic_deficit.search(body)
        if deficit:
            # "平台互动功能仍有不足" names what falls short (a theme, one clause): a problem;
            # "我厅公开工作仍存在一些不足" or "但与新要求相比，仍有差距" only frames the list
            subject = body[:deficit.start()]
            if not _CLAUSE_MARK.search(subject) and _themes_of(normalize(subject), patterns, None):
                out.append((PROBLEM, deficit.group(0)))
            else:
                out.append((OTHER, "framing"))
            continue
        verb = cues.measure_verb.search(body)
        if verb:
            mode, mode_cue = MEASURE, f"verb:{verb.group(0)}"
            out.append((MEASURE, mode_cue))
            continue
        out.append((PROBLEM, "position") if unit.item else (OTHER, "none"))
    return out


def _transition(norm: str, cues: _Cues, year: int | None) -> str:
    m = cues.year_will.search(norm)
    if m:
        said = int(m.group(1))
        return m.group(0) if year is None or said > year else ""
    m = cues.transition.search(norm)
    if not m:
        return ""
    # "2019年，我们将…" in a 2019 report is not a plan; the year alternative is checked above
    return m.group(0)


def narrative_span(report: Report) -> tuple[int, int] | None:
    """Where section 五 is: its own span, or, when its heading is missing, the problems
    paragraph found before section 六 (crawled texts drop headings)."""
    sec = report.section(NARRATIVE)
    if sec is not None:
        return _body_start(report, sec), sec.end
    six = report.section("六")
    if six is None:
        return None
    before = [s for s in report.sections if s.end <= six.start and s.code in ("二", "三", "四")]
    if not before:
        return None
    prev = before[-1]
    lo = _body_start(report, prev)
    region = report.text[lo:six.start]
    for piece in re.finditer(r"[^。；！？\n]+", region):
        if _OPENING.search(piece.group(0)):
            start = lo + piece.start()
            while start < six.start and report.text[start].isspace():
                start += 1
            return start, six.start
    return None


def _body_start(report: Report, sec) -> int:
    heading = sec.heading or ""
    if heading and report.text.startswith(heading, sec.start):
        return sec.start + len(heading)
    found = report.text.find(heading, sec.start, sec.end) if heading else -1
    return found + len(heading) if found >= 0 else sec.start


def _year(report: Report) -> int | None:
    try:
        return int(report.meta("year"))
    except (TypeError, ValueError):
        return None


def statement_columns(report: Report, sections: Iterable[str] = DEFAULT_SECTIONS, *,
                      lexicon: Mapping[str, Iterable[str]] | None = None) -> dict[str, list]:
    """The statements of ``report`` column by column: ``STATEMENT_COLUMNS`` (in order) -> equal-length
    lists of plain values (None for NA), the values :func:`statements` puts in its frame.

    ``section`` is the section code; ``idx`` counts statements within the section from 0;
    ``kind``/``cue`` are set in section 五 only (None elsewhere); ``themes`` holds the theme
    names joined with ``;`` as in ``statements.csv`` (empty for ``other``, None outside 五;
    :func:`gdtools.narrative.theme_list` splits it); ``start``/``end`` are offsets into
    ``report.text``.
    """
    rows = []
    year = _year(report)
    patterns = _patterns(lexicon)
    for code in sections:
        if code == NARRATIVE:
            span = narrative_span(report)
        else:
            sec = report.section(code)
            span = None if sec is None else (_body_start(report, sec), sec.end)
        if span is None:
            continue
        units = split_units(report.text, *span)
        texts = [report.text[unit.start:unit.end] for unit in units]
        norms = [normalize(text) for text in texts]
        kinds = _classify(units, norms, year, patterns) if code == NARRATIVE else None
        idx = 0
        for k, unit in enumerate(units):
            if unit.subheading:
                continue
            kind, cue = kinds[k] if kinds else (None, None)
            if code != NARRATIVE:
                labels = None  # not assessed outside section 五
            else:
                labels = ";".join(_themes_of(norms[k], patterns, "other")) if kind in (PROBLEM, MEASURE) else ""
            rows.append((report.report_id, report.source, code, idx, kind, texts[k], labels, cue,
                         _specificity_of(norms[k]), unit.start, unit.end))
            idx += 1
    if not rows:
        return {name: [] for name in STATEMENT_COLUMNS}
    return dict(zip(STATEMENT_COLUMNS, map(list, zip(*rows))))


def statements(report: Report, sections: Iterable[str] = DEFAULT_SECTIONS, *,
               lexicon: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """The statements of ``report`` as a DataFrame with ``STATEMENT_COLUMNS``: the frame of
    :func:`statement_columns` (see there for the columns)."""
    columns = statement_columns(report, sections, lexicon=lexicon)
    if not columns["report_id"]:
        return pd.DataFrame([], columns=STATEMENT_COLUMNS).astype(_NUMERIC_DTYPES)
    # Built column by column with the numeric dtypes given up front: a frame from row dicts plus
    # astype costs several times more for the few rows of one report.
    columns = dict(columns)
    for name, dtype in _NUMERIC_DTYPES.items():
        columns[name] = np.array(columns[name], dtype=dtype)
    return pd.DataFrame(columns, columns=STATEMENT_COLUMNS)
