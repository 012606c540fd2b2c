"""Report metadata (agency, year, title), each with where it was found.

Origins: ``header`` (a web-archive header block such as ``标题: …``), ``title`` (the
report's title line), ``body`` (phrases of the text: statistics period, signature and
date at the end, "由XX编制"), ``filename``. The report year is the year reported on,
not the publication year: a report signed in January 2020 covers 2019.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import islice
from pathlib import Path

from .agency import complete_agency
from .model import Field, Report

_HAN = "\u4e00-\u9fff"
# Endings of agency names (longest first so 委员会 wins over 会).
_AGENCY_END = ("管理委员会|委员会|办公厅|办公室|管委会|人民政府|政府|厅|局|委|办|署|院|部|中心|所|站|队|会|处|街道|镇|乡")
_AGENCY = rf"[{_HAN}（）()]{{2,30}}?(?:{_AGENCY_END})"
_YEAR = r"(?:19|20)\d{2}"
# "XX2019年度政府信息公开工作年度报告", "XX2013年信息公开年度报告", "2024 年XX政府信息公开工作年度报告".
_TITLE_FROM_YEAR = (
    rf"(?P<year>{_YEAR})\s*年\s*度?\s*(?P<post>[{_HAN}（）()]{{0,30}}?)"
    rf"\s*(?:政府|政务)?\s*信息\s*公开\s*(?:工作)?\s*(?:年\s*度)?\s*(?:工作)?\s*(?:报\s*告|年\s*报)")
_TITLE_RE = re.compile(rf"(?P<pre>[{_HAN}（）()·]{{0,40}}?)\s*" + _TITLE_FROM_YEAR)
# Every title holds a match of its part from the year on, which is quick to look for (it starts
# with a digit): a text without one has no title, and _TITLE_RE need not try each position.
_TITLE_FROM_YEAR_RE = re.compile(_TITLE_FROM_YEAR)
_HEADER_RE = re.compile(r"^(标题|发布机构|发布时间|发布日期|来源)\s*[:：]\s*(.*)$", re.M)
_PERIOD_RE = re.compile(rf"(?:统计|期限|时限|周期)[^。]{{0,20}}?({_YEAR})\s*年\s*1\s*月\s*1\s*日")
_DATE = rf"(?P<year>{_YEAR})\s*年\s*(?P<month>\d{{1,2}})\s*月\s*\d{{1,2}}\s*日"
_SIGNED_RE = re.compile(rf"(?:(?P<agency>{_AGENCY})\s*)?" + _DATE)
_DATE_RE = re.compile(_DATE)
# the longest _AGENCY: 30 characters and the longest ending
_AGENCY_MAX = 30 + max(map(len, _AGENCY_END.split("|")))
_BODY_AGENCY_RES = (
    re.compile(rf"由({_AGENCY})(?:负责)?编制"),
    re.compile(rf"发布({_AGENCY}){_YEAR}"),
    re.compile(rf"{_YEAR}\s*年(?:以来|度)?\s*[，,]?\s*({_AGENCY})(?:坚持|深入|认真|全面|紧紧|始终|以|在|进一步|按照|围绕|高度|持续|不断|积极)"),
)
# How names found in running text must end (titles and headers are trusted as printed).
_AGENCY_TAIL = re.compile(rf"(?:{_AGENCY_END}|区|县|市|省|州|旗|盟)$")
# Text before a signature that is not part of the agency name ("…事项无河北省…厅").
_SIGN_JUNK = re.compile(r"^.*(?:事项|情况|工作|费用|报告|下载|。|：|:)(?:无)?")
_NOT_AGENCY = re.compile(r"^(?:本|我|该|各|全|有关|相关|上级|下级|其他)")
_SPACES = re.compile(r"\s+")
_TRAILING_PARTICLE = re.compile(r"(?:关于|的)$")


def _clean_agency(name: str | None) -> str | None:
    if not name:
        return None
    name = _SPACES.sub("", name).strip("，,。:：、")
    name = _TRAILING_PARTICLE.sub("", name)
    name = _SIGN_JUNK.sub("", name) if _SIGN_JUNK.match(name) else name
    # "…事项　　无" + signature: the answer 无 ("none") glued to the agency (无锡 is a city).
    if name.startswith("无") and not name.startswith("无锡"):
        name = name[1:]
    if len(name) < 2 or _NOT_AGENCY.match(name):
        return None
    return name


def _search_title(text: str) -> re.Match | None:
    """``_TITLE_RE.search(text)``, quick when ``text`` holds no title."""
    return _TITLE_RE.search(text) if _TITLE_FROM_YEAR_RE.search(text) else None


def _unspaced(text: str) -> str:
    """``text`` without spaces, tabs and ideographic spaces."""
    return text.replace(" ", "").replace("\t", "").replace("\u3000", "")


def _signatures(text: str) -> list[re.Match]:
    """``list(_SIGNED_RE.finditer(text))``, each match searched for from shortly before the next
    date only: an agency (no digit, no white space, at most _AGENCY_MAX characters) and white space
    stand between a match's start and its date, so no match starts earlier."""
    found: list[re.Match] = []
    pos = 0
    while (date := _DATE_RE.search(text, pos)) is not None:
        start = date.start()
        while start > pos and text[start - 1].isspace():
            start -= 1
        match = _SIGNED_RE.search(text, max(pos, start - _AGENCY_MAX))
        found.append(match)
        pos = match.end()
    return found


def _header(text: str) -> dict[str, str]:
    head = text[:1500]
    return {key: value.strip() for key, value in _HEADER_RE.findall(head) if value.strip()}


def _title_line(text: str) -> str | None:
    """The title printed at the top: the first lines when they read like a report title."""
    stripped = (ln.strip().lstrip("#").strip() for ln in text[:3000].split("\n"))
    # the first four lines and the one after them are all that is looked at (rules such as ===== skipped)
    lines = list(islice((ln for ln in stripped if ln and ln not in ("正文",) and not _HEADER_RE.match(ln)
                         and ln.strip("=-_*")), 5))
    for i, line in enumerate(lines[:4]):
        if len(line) > 60:
            continue
        joined = line if i + 1 >= len(lines) else line + lines[i + 1]
        for candidate in (line, joined):
            if len(candidate) <= 60 and _TITLE_RE.fullmatch(candidate.replace(" ", "")):
                return candidate
    return None


def _parse_title(title: str) -> tuple[str | None, int | None]:
    """Agency and year of a title like ``XX2019年度政府信息公开工作年度报告``."""
    m = _TITLE_RE.search(title.replace(" ", ""))
    if not m:
        return None, None
    agency = _clean_agency(m.group("pre")) or _clean_agency(m.group("post"))
    return agency, int(m.group("year"))


def _year_from_filename(source: str) -> int | None:
    years = re.findall(rf"(?<!\d)({_YEAR})(?!\d)", Path(source).name)
    return int(years[-1]) if years else None


def extract_metadata(report: Report) -> dict[str, Field]:
    """``{"agency", "year", "title"}`` as :class:`Field` (value None when nothing was found)."""
    text = report.text
    header = _header(text)
    meta: dict[str, Field] = {}

    title, title_origin = header.get("标题"), "header"
    if not title:
        title, title_origin = _title_line(text), "title"
    t_agency, t_year = _parse_title(title) if title else (None, None)

    # A title-like phrase anywhere near the start (or in an attachment name at the end).
    body_title = _search_title(_unspaced(text[:4000])) or _search_title(_unspaced(text[-1500:]))
    b_agency = _clean_agency(body_title.group("pre")) or _clean_agency(body_title.group("post")) \
        if body_title else None
    b_year = int(body_title.group("year")) if body_title else None

    signed = _signatures(text[-400:])
    s_agency = _clean_agency(signed[-1].group("agency")) if signed else None

    if b_agency and not _AGENCY_TAIL.search(b_agency):
        b_agency = None  # "特向社会公布2015年度…报告": words before the year, not a name
    agency = None
    for value, origin in ((t_agency, title_origin), (s_agency, "body"), (header.get("发布机构"), "header"),
                          (b_agency, "body")):
        if cleaned := _clean_agency(value):
            agency = Field(cleaned, origin)
            break
    if agency is None:
        for pattern in _BODY_AGENCY_RES:
            m = pattern.search(text)
            if m and (cleaned := _clean_agency(m.group(1))):
                agency = Field(cleaned, "body")
                break
    if agency is not None:
        agency = Field(complete_agency(agency.value, text), agency.origin)
    meta["agency"] = agency or Field(None, "")

    year = _report_year(text, header, t_year, title_origin, b_year, signed, report.source)
    meta["year"] = year
    meta["title"] = Field(title, title_origin) if title else Field(None, "")
    return meta


def _report_year(text, header, t_year, title_origin, b_year, signed, source) -> Field:
    if t_year:
        return Field(t_year, title_origin)
    period = _PERIOD_RE.search(text)
    if period:
        return Field(int(period.group(1)), "body")
    if b_year:
        return Field(b_year, "body")
    # Signed/published in the first half of a year: the report covers the year before.
    if signed:
        m = signed[-1]
        year = int(m.group("year"))
        return Field(year - 1 if int(m.group("month")) <= 6 else year, "body")
    # The year the text talks about most ("2020年以来，…", "2020年，我厅…").
    mentions = Counter(int(y) for y in re.findall(rf"(?<!\d)({_YEAR})\s*年(?!\s*\d{{1,2}}\s*月)", text))
    if mentions:
        year, count = mentions.most_common(1)[0]
        if count >= 2:
            return Field(year, "body")
    published = header.get("发布时间") or header.get("发布日期")
    m = re.match(rf"({_YEAR})\D+(\d{{1,2}})", published or "")
    if m:
        year = int(m.group(1))
        return Field(year - 1 if int(m.group(2)) <= 6 else year, "header")
    from_name = _year_from_filename(source)
    return Field(from_name, "filename") if from_name else Field(None, "")
