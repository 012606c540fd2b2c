"""Which annual-report template a report follows (``v2019``, ``v2021``, ``legacy``, ``unknown``) and why.

Table labels decide first, because they differ between the versions (DOMAIN.md §3-4):
v2021 has 本年制发件数/现行有效件数/逾期不补正/本年收费金额, v2019 has
本年新制作数量/上一年项目数量/采购总金额. Some v2021 reports still print the single v2019
（六）其他处理 row, so the decision is about the whole report, not one row. Without
table labels, pre-2019 structure or the report year decides (2019–2020 → v2019,
≥ 2021 → v2021, ≤ 2018 → legacy), and the evidence says so.
"""

from __future__ import annotations

from .model import Report

V2019, V2021, LEGACY, UNKNOWN = "v2019", "v2021", "legacy", "unknown"

# Labels printed only in one version's tables (matched with whitespace removed,
# because dumps break labels across lines: "本年新\n制作数量").
V2021_LABELS = ("本年制发件数", "本年废止件数", "现行有效件数", "逾期不补正", "本年收费金额",
                "逾期未按收费通知要求缴纳费用", "本年处理决定数量")
V2019_LABELS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量",
                "采购总金额")
# Headings / labels of pre-2019 reports and their statistics tables.
LEGACY_LABELS = ("收费及减免", "指标名称", "计量单位", "历年累计", "依申请收费")


def _found(compact: str, labels) -> list[str]:
    return [label for label in labels if label in compact]


def version_for_year(year: int | None) -> str:
    """The template in force for a report year (``unknown`` when the year is unknown)."""
    if not isinstance(year, int):
        return UNKNOWN
    if year <= 2018:
        return LEGACY
    return V2019 if year <= 2020 else V2021


def detect_template(report: Report) -> tuple[str, list[str]]:
    """``(version, evidence)`` for ``report``; evidence strings name the labels, headings or year that decided."""
    compact = "".join(report.text.split())   # (str.split and re's \s know the same white space)
    year = report.meta("year")
    new = _found(compact, V2021_LABELS)
    old = _found(compact, V2019_LABELS)
    legacy = _found(compact, LEGACY_LABELS)
    standard = [s for s in report.sections if s.standard]
    evidence: list[str] = []
    if isinstance(year, int) and year <= 2018:
        evidence.append(f"year: {year} ≤ 2018")
        if legacy:
            evidence.append("legacy labels: " + "/".join(legacy))
        return LEGACY, evidence
    if new and len(new) >= len(old) or new and not old:
        evidence.append("v2021 labels: " + "/".join(new))
        if old:
            evidence.append("also v2019 labels: " + "/".join(old))
        return V2021, evidence
    if old:
        evidence.append("v2019 labels: " + "/".join(old))
        if new:
            evidence.append("also v2021 labels: " + "/".join(new))
        return V2019, evidence
    sections = [s for s in report.sections if not s.standard]
    if sections and not standard and year is None:
        return LEGACY, ["legacy headings: " + "/".join(s.heading for s in sections)]
    if len(standard) >= 4:
        evidence.append(f"headings: {len(standard)} standard sections ({''.join(s.code for s in standard)})")
    version = version_for_year(year)
    if version != UNKNOWN:
        evidence.append(f"year: {year}")
    return version, evidence
