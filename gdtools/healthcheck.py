"""年报体检: one self-contained HTML page per agency from the validation findings.

The pages are for reviewers in 政务公开 offices: plain Chinese, no scripts, no web fonts or
CDNs, readable in any browser and printable on one page per agency. Per report year they
show a traffic light, whether the tables were found and read, and each finding in words;
``index.html`` lists every agency with its years.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .agency import normalize_agency
from .validate import load_rules

log = logging.getLogger("gdtools")

LIGHTS = {
    "red": ("#c0392b", "红灯", "发现错误：表格数字自相矛盾或与上年不衔接"),
    "amber": ("#e0a800", "黄灯", "需要关注：有提醒，或部分检查因空白、读数不确定而无法进行"),
    "green": ("#2e8b57", "绿灯", "未发现问题"),
    "grey": ("#8a8a8a", "灰色", "未检查：文件未能读取，或为2019年以前的旧格式报告（无统一表格）"),
}
SEVERITY_NAMES = {"error": "错误", "warning": "提醒", "not_assessable": "无法判断", "ok": "通过"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "not_assessable": 2, "ok": 3}
_UNKNOWN_AGENCY = "（未识别出机关名称）"

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:2em auto;max-width:60em;padding:0 1em;color:#222;line-height:1.6}
h1{font-size:1.5em;border-bottom:2px solid #444;padding-bottom:.3em}
h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f2f2f2}
.dot{display:inline-block;width:.9em;height:.9em;border-radius:50%;vertical-align:middle;margin-right:.3em}
.sev-error{color:#c0392b;font-weight:bold}.sev-warning{color:#a06c00;font-weight:bold}
.sev-not_assessable{color:#555}.sev-ok{color:#2e8b57}
.small{font-size:.85em;color:#555}ul.findings li{margin:.3em 0}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}}
"""


def _e(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(str(value))


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n")


def _dot(light: str) -> str:
    colour, name, meaning = LIGHTS.get(light, LIGHTS["grey"])
    return f'<span class="dot" style="background:{colour}" title="{_e(meaning)}"></span>{_e(name)}'


def _slug(key: str) -> str:
    """A file name for an agency: readable Chinese kept, unsafe characters replaced, a hash for uniqueness."""
    safe = re.sub(r'[\\/:*?"<>|\s.]+', "_", key).strip("_")[:30] or "agency"
    return f"{safe}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]}.html"


def _year(value) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(float(value))
    except (TypeError, ValueError):
        return None


def _reports(summary: pd.DataFrame, reports_frame: pd.DataFrame | None) -> pd.DataFrame:
    """One row per report with agency, year, source, template, status, error and the summary counts."""
    cols = ["report_id", "source", "agency", "year", "template", "status", "error"]
    base = pd.DataFrame(columns=cols)
    if reports_frame is not None and not reports_frame.empty:
        base = reports_frame.reindex(columns=cols).copy()
    base["report_id"] = base["report_id"].astype(str)
    summ = summary.copy() if summary is not None else pd.DataFrame(columns=["report_id"])
    summ["report_id"] = summ["report_id"].astype(str)
    extra = summ[~summ["report_id"].isin(base["report_id"])].reindex(columns=cols)
    merged = pd.concat([base, extra], ignore_index=True) if not extra.empty else base
    counts = summ.drop(columns=[c for c in ("source", "agency", "year", "template") if c in summ.columns])
    merged = merged.drop_duplicates("report_id").merge(counts, on="report_id", how="left")
    for c in ("errors", "warnings", "not_assessable", "ok", "cells_uncertain"):
        merged[c] = pd.to_numeric(merged.get(c), errors="coerce").fillna(0).astype(int)
    merged["light"] = [light if isinstance(light, str) and light else "grey"
                       for light in merged.get("light", pd.Series([None] * len(merged)))]
    failed = merged["status"].notna() & ~merged["status"].astype(str).isin(["ok", ""])
    merged.loc[failed, "light"] = "grey"
    return merged


def _table_status(rows: pd.DataFrame) -> str:
    """A small table: for 表二/三/四, found or not, rows complete, cells uncertain (from C2–C4 findings)."""
    if rows.empty:
        return '<p class="small">未进行表格检查（旧版格式报告或未提取表格）。</p>'
    names = {"table2": "表二 主动公开", "table3": "表三 收到和处理申请", "table4": "表四 复议诉讼"}
    out = ["<table><tr><th>表格</th><th>是否找到</th><th>模板行是否齐全</th><th>读数不确定的单元格</th></tr>"]
    c2 = rows[rows.rule == "C2"]
    if c2.empty:
        return '<p class="small">未进行表格检查（旧版格式报告或未提取表格）。</p>'
    missing = set(c2[c2.severity != "ok"].table)
    for table, name in names.items():
        if table in missing:
            out.append(f"<tr><td>{name}</td><td class='sev-warning'>未找到</td><td>—</td><td>—</td></tr>")
            continue
        c3 = rows[(rows.rule == "C3") & (rows.table == table)]
        complete = "齐全" if (c3.severity == "ok").all() else "缺行：" + "；".join(c3[c3.severity != "ok"].row_label)
        c4 = rows[(rows.rule == "C4") & (rows.table == table)]
        uncertain = "无" if c4.empty else _e(c4.iloc[0].message)
        out.append(f"<tr><td>{name}</td><td>找到</td><td>{_e(complete)}</td><td>{uncertain}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _findings_list(rows: pd.DataFrame) -> str:
    shown = rows[~rows.rule.isin(["C2", "C3", "C4"])].copy()
    if shown.empty:
        return '<p class="small">没有检查结果。</p>'
    shown["_order"] = shown.severity.map(SEVERITY_ORDER).fillna(9)
    shown = shown.sort_values(["_order", "rule"], kind="stable")
    problems = shown[shown.severity != "ok"]
    passed = shown[shown.severity == "ok"]
    out = []
    if problems.empty:
        out.append("<p>全部检查均已通过。</p>")
    else:
        out.append('<ul class="findings">')
        for r in problems.itertuples():
            out.append(f'<li><span class="sev-{_e(r.severity)}">{SEVERITY_NAMES.get(r.severity, _e(r.severity))}'
                       f"</span> [{_e(r.rule)}] {_e(r.message)}</li>")
        out.append("</ul>")
    if not passed.empty:
        out.append('<p class="small">已通过的检查：</p><ul class="findings small">')
        out += [f"<li>[{_e(r.rule)}] {_e(r.message)}</li>" for r in passed.itertuples()]
        out.append("</ul>")
    return "".join(out)


def _source(source: str) -> str:
    """Where a rule comes from, in words: "implied" marks rules not printed in any official text."""
    if source.startswith("implied"):
        return "由表格结构或工作惯例推出（无官方明文）" + source[len("implied"):]
    return source


def _legend(rule_ids: Iterable[str]) -> str:
    rules = {r.id: r for r in load_rules()}
    items = [f"<tr><td>{_e(i)}</td><td>{_e(rules[i].description)}</td><td>{_e(_source(rules[i].source))}</td></tr>"
             for i in sorted(set(rule_ids)) if i in rules]
    if not items:
        return ""
    return ("<h2>检查规则说明</h2><table><tr><th>编号</th><th>内容</th><th>依据</th></tr>"
            + "".join(items) + "</table>")


def _agency_page(name: str, reports: pd.DataFrame, findings: pd.DataFrame) -> str:
    parts = [f"<h1>政府信息公开工作年度报告体检：{_e(name)}</h1>",
             '<p class="small">由 gdtools 自动生成。“错误”指表格数字按模板规则自相矛盾；“提醒”指可能有问题、'
             "需人工核对；“无法判断”指相关单元格空白（空白不等于0）或读数不确定。请对照报告原文核实。</p>",
             "<table><tr><th>年度</th><th>结论</th><th>错误</th><th>提醒</th><th>无法判断</th></tr>"]
    ordered = reports.assign(year_int=reports.year.map(_year)).sort_values("year_int", ascending=False, na_position="last")
    for r in ordered.itertuples():
        year = _year(r.year_int) or "年份不明"
        parts.append(f"<tr><td><a href='#r-{_e(r.report_id)}'>{year}</a></td><td>{_dot(r.light)}</td>"
                     f"<td>{r.errors}</td><td>{r.warnings}</td><td>{r.not_assessable}</td></tr>")
    parts.append("</table>")
    for r in ordered.itertuples():
        year = f"{_year(r.year_int)}年度" if _year(r.year_int) else "年份不明"
        parts.append(f"<h2 id='r-{_e(r.report_id)}'>{year} {_dot(r.light)}</h2>")
        raw = "" if r.template is None or (isinstance(r.template, float) and pd.isna(r.template)) else str(r.template)
        template = {"v2019": "2019年版格式", "v2021": "2021年版格式"}.get(raw, raw or "未识别")
        parts.append(f'<p class="small">文件：{_e(r.source)}（编号 {_e(r.report_id)}）；格式：{_e(template)}</p>')
        if isinstance(r.status, str) and r.status not in ("ok", ""):
            parts.append(f"<p class='sev-error'>文件未能读取：{_e(r.error)}</p>")
            continue
        rows = findings[findings.report_id.astype(str) == r.report_id]
        parts.append(_table_status(rows))
        parts.append(_findings_list(rows))
    parts.append(_legend(findings[findings.report_id.astype(str).isin(reports.report_id)].rule))
    return _page(f"年报体检：{name}", "\n".join(parts))


def write_health_pages(findings: pd.DataFrame, summary: pd.DataFrame, reports_frame: pd.DataFrame | None,
                       out_dir) -> list[Path]:
    """Write one 年报体检 page per agency and ``index.html`` into ``out_dir``; return the paths written.

    ``findings`` come from :func:`gdtools.validate.validate` (FINDING_COLUMNS), ``summary`` from
    :func:`gdtools.validate.summarize_findings`, ``reports_frame`` has REPORT_COLUMNS (agency,
    year, status …; may be None). Reports group by normalised agency name.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if findings is None:
        findings = pd.DataFrame(columns=["report_id", "rule", "severity", "table", "row_label", "message"])
    # findings read back from CSV carry NaN for empty text
    findings = findings.fillna({c: "" for c in ("table", "row_label", "col_label", "message") if c in findings})
    reports = _reports(summary, reports_frame)
    reports["_key"] = [normalize_agency(a) if isinstance(a, str) and a.strip() else "" for a in reports.agency]
    written, index_rows = [], []
    for key, group in sorted(reports.groupby("_key", sort=False), key=lambda kv: (kv[0] == "", kv[0])):
        names = group.agency.dropna().astype(str)
        name = names.value_counts().index[0] if len(names) else _UNKNOWN_AGENCY
        path = out / _slug(key or _UNKNOWN_AGENCY)
        path.write_text(_agency_page(name, group, findings), encoding="utf-8")
        written.append(path)
        years = sorted(((_year(y), light) for y, light in zip(group.year, group.light)),
                       key=lambda t: (t[0] is None, t[0] or 0))
        cells = "；".join(f"{y if y is not None else '年份不明'}{'年' if y is not None else ''} {_dot(light)}"
                         for y, light in years)
        index_rows.append(f"<tr><td><a href='{_e(path.name)}'>{_e(name)}</a></td><td>{len(group)}</td>"
                          f"<td>{int(group.errors.sum())}</td><td>{int(group.warnings.sum())}</td>"
                          f"<td>{cells}</td></tr>")
    legend = " ".join(f"{_dot(k)}：{_e(v[2])}；" for k, v in LIGHTS.items())
    body = ("<h1>政府信息公开工作年度报告体检</h1>"
            f"<p>共 {len(reports)} 份报告，{len(index_rows)} 个机关。{legend}</p>"
            "<table><tr><th>机关</th><th>报告数</th><th>错误</th><th>提醒</th><th>各年度结论</th></tr>"
            + "".join(index_rows) + "</table>")
    index = out / "index.html"
    index.write_text(_page("年报体检", body), encoding="utf-8")
    written.append(index)
    log.info("wrote %d health pages to %s", len(written), out)
    return written
