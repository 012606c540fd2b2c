"""Split a report into its six standard sections (一 … 六), fuzzily.

Headings vary (reworded, numbering missing or misnumbered, printed mid-line when a
crawler collapsed the newlines), and numbered labels such as "一、本年新收政府信息公开申请数量"
inside table 三 are not headings. So every plausible heading is collected as a
candidate and the best chain is chosen: for 2019/2021 reports codes must increase
(一 before 二 …) and standard wording scores higher; for pre-2019 reports the section
numbers must increase and free-form headings map to the nearest standard section.
Patterns are data in ``gdtools/spec/sections.yaml``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

import yaml

from .model import Report, Section
from .spec import read_text

log = logging.getLogger("gdtools")
NUMERALS = "一二三四五六七八九十"
CODES = "一二三四五六"
_NUMBERED = re.compile(r"(?<![一二三四五六七八九十第（(〔\[【])([一二三四五六七八九十]{1,3})\s*[、.．,，]\s*")
# _NUMBERED without its look-behind (which keeps re from skipping to the numerals quickly); see _numbered
_NUMBERED_AHEAD = re.compile(r"([一二三四五六七八九十]{1,3})\s*[、.．,，]\s*")
_NOT_BEFORE_NUMBER = frozenset("一二三四五六七八九十第（(〔[【")
_WINDOW_END = re.compile(r"[\n。；;：:！？]|\u3000|\s{2,}|\|")
_MAX_PREFIX = 16
_MAX_LINE = 40
_MAX_LINE_PREFIX = 8
_MAX_CANDIDATES = 600
# Real reports hold at most a few hundred numbered items (一、 … 十、); a text with many thousands
# is hostile or not a report, and checking each against every heading pattern is what costs time.
_MAX_NUMBERED = 5000


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    code: str
    number: int | None
    score: float
    name: str


@cache
def _spec() -> dict:
    return yaml.safe_load(read_text("sections.yaml"))


def chinese_number(text: str) -> int | None:
    """``一``…``九十九`` as an int (None when not a Chinese numeral)."""
    if not text or any(ch not in NUMERALS for ch in text):
        return None
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (NUMERALS.index(tens) + 1 if tens else 1) * 10 + (NUMERALS.index(ones) + 1 if ones else 0)
    return NUMERALS.index(text) + 1 if len(text) == 1 else None


@cache
def _terminals() -> re.Pattern:
    return re.compile(_spec()["terminals"])


def _heading_end(text: str, start: int, match_end: int, limit: int) -> int:
    """End of a heading: the first terminal word (情况/事项/…) shortly after the keyword, else the keyword."""
    m = _terminals().search(text, match_end - 2 if match_end - 2 > start else start, min(limit, match_end + 26))
    return m.end() if m else match_end


def _window(text: str, start: int) -> int:
    m = _WINDOW_END.search(text, start, start + 60)
    return m.start() if m else min(len(text), start + 60)


@cache
def _standard_patterns() -> tuple[tuple[str, re.Pattern, re.Pattern], ...]:
    return tuple((e["code"], re.compile(e["full"]), re.compile(e["loose"])) for e in _spec()["standard"])


@cache
def _any_standard(loose: bool) -> re.Pattern | None:
    """One pattern matching wherever a standard wording (full, and loose when ``loose``) matches;
    None when the patterns cannot be joined (they hold groups, which joining would renumber)."""
    patterns = [p for _, full, loose_pattern in _standard_patterns() for p in ((full, loose_pattern) if loose
                                                                                  else (full,))]
    if any(p.groups for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))
    except re.error:
        return None


def _standard_match(text: str, start: int, limit: int, *, loose: bool = True) -> tuple[str, float, int, int] | None:
    """(code, quality, keyword end, keyword start) of the standard section a heading at ``start`` names.

    ``loose=False`` looks for the full wordings only: the same answer whenever the answer has
    quality 1.0 (a full wording beats every loose one), None where it would have quality 0.0.
    """
    anywhere = _any_standard(loose)
    if anywhere is not None and anywhere.search(text, start, limit) is None:
        return None   # no wording of any section in the window
    best = None
    for code, full, loose_pattern in _standard_patterns():
        for quality, pattern in ((1.0, full), (0.0, loose_pattern)) if loose else ((1.0, full),):
            m = pattern.search(text, start, limit)
            if m and m.start() - start <= _MAX_PREFIX:
                if best is None or quality > best[1] or (quality == best[1] and m.start() < best[3]):
                    best = (code, quality, m.end(), m.start())
                break
    return best


@cache
def _legacy_patterns() -> tuple[tuple[re.Pattern, bool, str, str], ...]:
    """(pattern, anchored, code, name) of the legacy headings.

    A pattern starting with ^ must match right after the number (re's ^ ignores pos).
    """
    return tuple((re.compile(e["pattern"].lstrip("^")), e["pattern"].startswith("^"), e["code"], e["name"])
                 for e in _spec()["legacy"])


@cache
def _fallback() -> re.Pattern:
    return re.compile(_spec()["standard"][4].get("fallback", r"(?!)"))


@cache
def _opener() -> re.Pattern:
    return re.compile(_spec()["standard"][4]["opener"])


@cache
def _names() -> Mapping[str, str]:
    return MappingProxyType({e["code"]: e["name"] for e in _spec()["standard"]})


_SENTENCE_PUNCT = re.compile("[，。；：,;:]")
_DIGITS = frozenset("0123456789")


def _numbered(text: str) -> Iterator[re.Match]:
    """The matches of ``_NUMBERED.finditer(text)``: those of the pattern without the look-behind that
    do not follow one of its characters. (A match the look-behind rejects covers only numerals after
    its start, and white space or punctuation, none of which can start a kept match: skipping it
    loses nothing.)"""
    for m in _NUMBERED_AHEAD.finditer(text):
        at = m.start()
        if not at or text[at - 1] not in _NOT_BEFORE_NUMBER:
            yield m


def _candidates(text: str, source: str, *, with_legacy: bool = True) -> tuple[list[_Candidate], list[_Candidate]]:
    """Candidates for the standard chain and for the legacy chain (none when not ``with_legacy``)."""
    standard: list[_Candidate] = []
    legacy: list[_Candidate] = []
    legacy_spec = _legacy_patterns() if with_legacy else ()
    for seen, m in enumerate(_numbered(text)):
        if seen == _MAX_NUMBERED or len(standard) >= _MAX_CANDIDATES and len(legacy) >= _MAX_CANDIDATES:
            # later candidates could not survive the cut below (they start after all kept ones)
            log.warning("%s: more than %d numbered items; section headings looked for up to offset %d only",
                        source, min(seen, _MAX_NUMBERED), m.start())
            break
        if not with_legacy and len(standard) >= _MAX_CANDIDATES:
            continue  # (as above, without a warning: the legacy chain, which could still fill, is not wanted)
        number = chinese_number(m.group(1))
        if number is None:
            continue
        head = m.end()
        limit = _window(text, head)
        if limit - head < 2:
            continue
        found = _standard_match(text, head, limit)
        if found:
            code, quality, kw_end, _ = found
            score = 2.0 + quality + (1.0 if number == CODES.index(code) + 1 else 0.0)
            standard.append(_Candidate(m.start(), _heading_end(text, head, kw_end, limit), code, number,
                                       score, ""))
        for pattern, anchored, code, name in legacy_spec:
            lm = pattern.match(text, head, limit) if anchored else pattern.search(text, head, limit)
            if lm and lm.start() - head <= _MAX_PREFIX:
                legacy.append(_Candidate(m.start(), _heading_end(text, head, lm.end(), limit), code, number,
                                         1.0, name))
                break
    # Headings printed without a number, on a line of their own.
    fallback = _fallback()
    pos = 0
    for line in text.split("\n"):
        length = len(line)
        body = line.strip(" \t\u3000#")
        # (a line starting with a digit, a table cell mostly, is not numbered: no pattern needed)
        if not body or len(body) > _MAX_LINE or (body[0] not in _DIGITS and _NUMBERED.match(body)):
            pos += length + 1
            continue
        start = pos + length - len(line.lstrip(" \t\u3000#"))
        pos += length + 1
        if fallback.match(body):
            standard.append(_Candidate(start, start + len(body), "五", None, 1.0, ""))
            continue
        # Wrapped intro lines ("报告全文包括总体情况、主动公开…") are sentences, not headings.
        if body[0] in "（(0123456789" or _SENTENCE_PUNCT.search(body):
            continue
        found = _standard_match(body, 0, len(body), loose=False)
        # …and the heading must fill the line ("主动公开政府信息情况", not a list of section names).
        if (found and found[1] == 1.0 and found[3] <= _MAX_LINE_PREFIX
                and len(body) - _heading_end(body, 0, found[2], len(body)) <= 2):
            standard.append(_Candidate(start, start + len(body), found[0], None, 2.0, ""))
    standard.sort(key=lambda c: c.start)
    # The chain search is quadratic; real reports have a few dozen candidates, so a text with
    # thousands is hostile or not a report: keep the first ones.
    return standard[:_MAX_CANDIDATES], legacy[:_MAX_CANDIDATES]


def _best_chain(cands: list[_Candidate], transition) -> list[_Candidate]:
    """Highest-scoring chain in text order; ``transition(prev, next)`` is a bonus, or None when not allowed."""
    best: list[tuple[float, int]] = []  # (score, previous index)
    for i, c in enumerate(cands):
        score, prev = c.score, -1
        for j in range(i):
            if cands[j].end > c.start:
                continue
            bonus = transition(cands[j], c)
            if bonus is not None and best[j][0] + c.score + bonus > score:
                score, prev = best[j][0] + c.score + bonus, j
        best.append((score, prev))
    if not best:
        return []
    i = max(range(len(best)), key=lambda k: (best[k][0], -k))
    chain = []
    while i >= 0:
        chain.append(cands[i])
        i = best[i][1]
    return chain[::-1]


def _standard_step(a: _Candidate, b: _Candidate) -> float | None:
    return 0.0 if CODES.index(b.code) > CODES.index(a.code) else None


def _legacy_step(a: _Candidate, b: _Candidate) -> float | None:
    # Consecutive numbers (一, 二, 三 …) beat numbered sub-lists inside a section.
    if b.number <= a.number:
        return None
    return 1.0 if b.number == a.number + 1 else 0.0


def _recover_five(text: str, chain: list[_Candidate]) -> list[_Candidate]:
    """Add a 五 that starts at its opening sentence when the heading itself is missing."""
    if not chain or any(c.code == "五" for c in chain):
        return chain
    before = [c for c in chain if CODES.index(c.code) < 4]
    after = [c for c in chain if CODES.index(c.code) > 4]
    if not before:
        return chain
    region_start = before[-1].end
    region_end = after[0].start if after else len(text)
    m = _opener().search(text, region_start, region_end)
    if not m:
        return chain
    # Back up to the start of the sentence holding the opener.
    start = max(text.rfind(ch, region_start, m.start()) for ch in "。\n；") + 1
    start = max(start, region_start)
    while start < m.start() and text[start] in " \t\u3000":
        start += 1
    return [*before, _Candidate(start, start, "五", None, 0.0, ""), *after]


def split_sections(report: Report) -> list[Section]:
    """The sections of ``report`` in text order (also what ``load_report`` stores in ``report.sections``).

    Standard reports yield up to six sections with codes 一…六 and ``standard=True``;
    pre-2019 reports (year ≤ 2018, or old-style headings without a standard chain) yield
    their own sections mapped to the nearest code, ``standard=False``.
    """
    text = report.text
    year = report.meta("year")
    # the legacy chain is chosen only for a report of 2018 or before, or of an unknown year
    with_legacy = year is None or isinstance(year, int) and year <= 2018
    standard, legacy = _candidates(text, report.source, with_legacy=with_legacy)
    chain = _best_chain(standard, _standard_step)
    legacy_chain = _best_chain(legacy, _legacy_step)
    use_legacy = (isinstance(year, int) and year <= 2018 and len(legacy_chain) >= 2) or (
        year is None and len(legacy_chain) > len(chain) + 1)
    names = _names()
    picked = legacy_chain if use_legacy else _recover_five(text, chain)
    sections = []
    for i, c in enumerate(picked):
        end = picked[i + 1].start if i + 1 < len(picked) else len(text)
        sections.append(Section(code=c.code, heading=text[c.start:c.end].strip(), start=c.start, end=end,
                                standard=not use_legacy, name=c.name if use_legacy else names[c.code]))
    return sections
