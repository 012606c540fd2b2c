"""Corpus analyses behind the notebooks: pure functions over the tidy output frames.

Inputs are the frames every stage produces (``reports`` with REPORT_COLUMNS, ``tables``
with TABLE_COLUMNS, ``findings`` with FINDING_COLUMNS, ``statements`` with
STATEMENT_COLUMNS); outputs are small DataFrames a notebook shows or plots. Blank is not
zero: a cell a report left blank is NA and counts neither as 0 nor in a denominator —
every aggregate says how many reports it rests on (``n_reports``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from .agency import normalize_agency
from .model import FINDING_COLUMNS, REPORT_COLUMNS, STATEMENT_COLUMNS, TABLE_COLUMNS
from .narrative import theme_list

log = logging.getLogger("gdtools")

# ---------------------------------------------------------------- agency level and region

PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
)
LEVELS = ("国家级", "省级", "市级", "县级", "乡镇级", "其他", "未知")
# Level words a corpus MANIFEST.csv may use (the synthetic sample writes English ones).
MANIFEST_LEVELS = {"national": "国家级", "central": "国家级", "province": "省级", "provincial": "省级",
                   "city": "市级", "prefecture": "市级", "county": "县级", "district": "县级",
                   "township": "乡镇级", "town": "乡镇级", "street": "乡镇级"}
_NATIONAL = re.compile(r"^(国务院|国家|中央|中国|最高人民|海关总署|审计署|外交部|国防部|教育部|科学技术部|科技部|公安部|"
                       r"民政部|司法部|财政部|自然资源部|生态环境部|交通运输部|水利部|农业农村部|商务部|文化和旅游部|"
                       r"应急管理部|退役军人事务部|工业和信息化部|人力资源和社会保障部|住房和城乡建设部|中国人民银行)")
# A place name: shortest run of characters ending in an administrative suffix.
_PLACE = re.compile(r"(.{1,8}?(?:自治州|自治县|自治旗|地区|盟|省|自治区|市|州|县|区|旗))")


def agency_level(name: str | None) -> str:
    """Administrative level guessed from an agency name: 国家级/省级/市级/县级/其他/未知.

    Rules on the name only (no lookup table): a 县/区/旗 after a 市 or standing alone
    is 县级; a 市 that is not one of the four municipalities is 市级; a province or
    municipality with no lower place is 省级; national bodies by their fixed prefixes.
    Development zones (新区, 开发区, 实验区…) are 其他: their rank varies.
    """
    text = normalize_agency(name)
    if not text:
        return "未知"
    if _NATIONAL.match(text):
        return "国家级"
    if re.search(r"(新区|开发区|实验区|高新区|示范区|保税区|试验区|合作区)", text):
        return "其他"
    if re.match(r"^[^市县区]{1,8}(街道|乡|镇)", text):
        return "乡镇级"
    places = _PLACE.findall(text[:20])
    if not places:
        return "未知"
    province = _province(text)
    rest = places
    if province and places[0].startswith(province):
        rest = places[1:]
    lower = [p for p in rest if not re.search(r"(委员会|办公室)$", p)]
    if any(re.search(r"(县|旗|自治县|自治旗)$", p) or (re.search(r"区$", p) and not p.endswith("自治区"))
           for p in lower):
        return "县级"
    if any(re.search(r"(市|州|地区|盟)$", p) for p in lower):
        return "市级"
    if province:
        return "省级"
    first = places[0]
    if re.search(r"(县|旗)$", first) or (first.endswith("区") and not first.endswith("自治区")):
        return "县级"
    if re.search(r"(市|州|地区|盟)$", first):
        return "市级"
    return "未知"


def _province(text: str) -> str | None:
    known = next((p for p in PROVINCES if text.startswith(p)), None)
    if known:
        return known
    # A province the list does not know (fictional sample agencies): a leading "X省" / "X自治区".
    match = re.match(r"^(.{2,4}?)(?:省|自治区)", text)
    return match.group(1) if match else None


def agency_region(name: str | None) -> str:
    """The province (省级行政区, short form) an agency name starts with, or ``未识别``."""
    return _province(normalize_agency(name)) or "未识别"


# ---------------------------------------------------------------- corpus loading and selection

def resolve_path(path) -> Path:
    """``path`` as given, or found relative to the parent folders of the working directory.

    A notebook opened in ``notebooks/`` (``make lab``) and one run from the repository
    root (``gdtools run``) then both find ``data/sample``.
    """
    from .errors import GdtoolsError

    candidate = Path(path)
    if candidate.exists() or candidate.is_absolute():
        if not candidate.exists():
            raise GdtoolsError(f"路径不存在：{path}；请检查 corpus/path 参数")
        return candidate
    for parent in Path.cwd().parents[:2]:
        if (parent / candidate).exists():
            return parent / candidate
    raise GdtoolsError(f"路径不存在：{path}（也不在上级目录中）；请检查 corpus/path 参数")


def records(frame: pd.DataFrame, limit: int | None = None) -> list[dict]:
    """Rows of ``frame`` as JSON-ready dicts (NA → None, numpy scalars → Python), for ``scrapbook.glue``."""
    if frame is None or frame.empty:
        return []
    part = frame if limit is None else frame.head(limit)
    return json.loads(part.to_json(orient="records", force_ascii=False, default_handler=str))


def report_folder(corpus) -> Path:
    """The folder holding the report files: ``corpus/reports`` when present, else ``corpus`` itself.

    Accepts a sample/real-data folder (``reports/``, ``expected/``, ``MANIFEST.csv``…) and a
    flat folder of reports alike, so the truth files beside the reports are never read as reports.
    """
    corpus = Path(corpus)
    sub = corpus / "reports"
    return sub if sub.is_dir() else corpus


def pick_report(path, corpus, *, scan: int = 30) -> Path:
    """The report file to profile: ``path`` when given, else a report under ``corpus``.

    Without ``path``: the first report (by name) among the first ``scan`` that follows the
    2019 or 2021 template — it has the standard tables to show — else the first report.
    """
    from .errors import GdtoolsError
    from .io import iter_report_paths, load_report

    if path:
        return resolve_path(path)
    folder = report_folder(resolve_path(corpus))
    candidates = sorted(iter_report_paths([folder]))
    if not candidates:
        raise GdtoolsError(f"{folder} 中没有报告文件；请用 path 参数指定一份报告")
    for candidate in candidates[:scan]:
        try:
            if load_report(candidate).template in ("v2019", "v2021"):
                return candidate
        except GdtoolsError as exc:
            log.info("skipping %s: %s", candidate, exc)
    return candidates[0]


def _as_frame(value, columns: list[str]) -> pd.DataFrame:
    if value is None:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(value)
    for col in columns:
        if col not in frame.columns:
            frame[col] = pd.NA
    return frame


def _frames_from(result) -> dict[str, pd.DataFrame]:
    get = result.get if isinstance(result, dict) else (lambda key: getattr(result, key, None))
    return {
        "reports": _as_frame(get("reports"), REPORT_COLUMNS),
        "tables": _as_frame(get("tables"), TABLE_COLUMNS),
        "findings": _as_frame(get("findings"), FINDING_COLUMNS),
        "statements": _as_frame(get("statements"), STATEMENT_COLUMNS),
    }


def load_corpus(corpus, *, years: Sequence[int] | None = None, levels: Sequence[str] | None = None,
                regions: Sequence[str] | None = None, limit: int | None = None, jobs: int | None = None,
                cache_dir=".gdtools-cache") -> dict[str, pd.DataFrame]:
    """Process every report under ``corpus`` (``gdtools.process``, cache-backed) and select some.

    Returns ``reports``, ``tables``, ``findings``, ``statements`` (and ``repeats``/``keywords``
    when the batch wrote them) restricted to the selected reports; ``reports`` gains
    ``agency_key``, ``level`` and ``region``. ``limit`` keeps the first N report files
    (sorted by path) for quick runs. The batch's output folder is temporary: unchanged
    files are served from ``cache_dir`` on the next run.
    """
    import tempfile

    import gdtools

    paths = sorted(Path(p) for p in gdtools.iter_report_paths([report_folder(resolve_path(corpus))]))
    if limit is not None:
        paths = paths[:limit]
    if not paths:
        log.warning("no report files under %s", corpus)
        return select(_frames_from({}), years=years, levels=levels, regions=regions)
    with tempfile.TemporaryDirectory(prefix="gdtools-corpus-") as out:
        gdtools.process(paths, out=out, jobs=jobs, cache_dir=cache_dir, progress=False)
        loaded = gdtools.load_outputs(out)
    frames = _frames_from(loaded)
    catalogue = manifest_levels(resolve_path(corpus))
    if not catalogue.empty:
        names = frames["reports"]["source"].map(lambda s: Path(str(s)).name)
        for column in ("level", "region"):
            frames["reports"][column] = names.map(catalogue.drop_duplicates("file").set_index("file")[column])
    extra = {k: v for k, v in loaded.items() if k not in frames}
    return select(frames | extra, years=years, levels=levels, regions=regions)


def with_agency_columns(reports: pd.DataFrame) -> pd.DataFrame:
    """``reports`` plus ``agency_key`` (groups one agency across years), ``level`` and ``region``.

    ``level``/``region`` already present (e.g. from a MANIFEST) are kept; only missing
    values are inferred from the agency name.
    """
    out = reports.copy()
    agencies = out["agency"] if "agency" in out else pd.Series(pd.NA, index=out.index)
    names = [a if isinstance(a, str) else None for a in agencies]
    out["agency_key"] = [normalize_agency(a) if a else "" for a in names]
    for column, infer in (("level", agency_level), ("region", agency_region)):
        inferred = pd.Series([infer(a) for a in names], index=out.index, dtype="object")
        out[column] = out[column].astype("object").where(out[column].notna(), inferred) if column in out \
            else inferred
    if "year" in out:
        out["year"] = pd.to_numeric(out["year"], errors="coerce").astype("Int64")
    return out


def manifest_levels(corpus) -> pd.DataFrame:
    """``file``, ``level``, ``region`` from ``corpus/MANIFEST.csv`` when it has such columns (else empty).

    A catalogue's level and region beat the guess from the agency name.
    """
    path = Path(corpus) / "MANIFEST.csv"
    if not path.is_file():
        return pd.DataFrame(columns=["file", "level", "region"])
    manifest = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "file" not in manifest:
        return pd.DataFrame(columns=["file", "level", "region"])
    out = pd.DataFrame({"file": manifest["file"]})
    level = manifest["level"].str.strip() if "level" in manifest else pd.Series("", index=manifest.index)
    out["level"] = [MANIFEST_LEVELS.get(v.lower(), v) if v else None for v in level]
    region = manifest["region"].str.strip() if "region" in manifest else pd.Series("", index=manifest.index)
    out["region"] = [v or None for v in region]
    return out


def as_list(value) -> list:
    """A filter value as a list: ``-p years 2020`` gives a bare number, ``-p levels 省级`` a bare string."""
    if value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [value]
    return list(value)


def select(frames: dict[str, pd.DataFrame], *, years=None, levels=None, regions=None,
           agencies: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Keep the reports matching every given filter (None or empty = no filter) in all frames.

    Only reports read successfully (``status == "ok"``) are kept for analysis; a filter
    that matches nothing yields empty frames with their columns, never an error. A single
    year or name works as well as a list.
    """
    years, levels, regions, agencies = map(as_list, (years, levels, regions, agencies))
    reports = with_agency_columns(frames["reports"])
    keep = pd.Series(True, index=reports.index)
    if "status" in reports:
        keep &= reports["status"].fillna("ok").eq("ok")
    if years:
        keep &= reports["year"].isin([int(y) for y in years])
    if levels:
        unknown = sorted(set(levels) - set(LEVELS) - set(reports["level"].dropna()))
        if unknown:  # most likely a typo: say so instead of only returning nothing
            log.warning("levels %s: 不是已知的层级（%s）", "、".join(unknown), "、".join(LEVELS))
        keep &= reports["level"].isin(list(levels))
    if regions:
        keep &= reports["region"].isin(list(regions))
    if agencies:
        wanted = {normalize_agency(a) for a in agencies}
        keep &= reports["agency_key"].isin(wanted)
    reports = reports[keep].reset_index(drop=True)
    ids = set(reports["report_id"])
    out = {"reports": reports}
    for key in ("tables", "findings", "statements"):
        frame = frames.get(key)
        frame = _as_frame(frame, []) if frame is not None else pd.DataFrame(columns=["report_id"])
        out[key] = frame[frame["report_id"].isin(ids)].reset_index(drop=True)
    for key, frame in frames.items():  # corpus-level extras (repeats, keywords…) pass through
        if key not in out:
            out[key] = frame[frame["report_id"].isin(ids)].reset_index(drop=True) \
                if "report_id" in frame else frame
    return out


def describe_selection(reports: pd.DataFrame) -> pd.DataFrame:
    """Reports per year × level (with totals): what a selection holds before any analysis."""
    if reports.empty:
        return pd.DataFrame()
    return pd.crosstab(reports["year"], reports["level"], margins=True, margins_name="合计")


# ---------------------------------------------------------------- table 三 / 四 measures

APPLICANT_COLUMNS = ("natural", "business", "research", "public_interest", "legal_services", "other_org")
APPLICANT_LABELS = {"natural": "自然人", "business": "商业企业", "research": "科研机构",
                    "public_interest": "社会公益组织", "legal_services": "法律服务机构", "other_org": "其他组织"}
# Outcome groups of table 三 in the template's order; their row codes come from the crosswalk.
OUTCOME_GROUPS = ("予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理")
REFUSAL_LABELS = {
    "refuse_state_secret": "国家秘密", "refuse_law": "法律行政法规禁止", "refuse_safety": "三安全一稳定",
    "refuse_third_party": "第三方合法权益", "refuse_internal": "内部事务信息", "refuse_process": "过程性信息",
    "refuse_enforcement": "行政执法案卷", "refuse_query": "行政查询事项",
}


def cell_values(tables: pd.DataFrame, table: str = "table3", col_code: str | None = "total") -> pd.DataFrame:
    """One row per report, one column per ``row_code`` of ``table`` (NA where blank or unread).

    Only cells with status ``ok`` or ``blank`` are used: an ``uncertain`` cell (several
    readings) is NA here rather than one guessed reading.
    """
    part = tables[tables["table"].eq(table)]
    if col_code is not None:
        part = part[part["col_code"].eq(col_code)]
    if "status" in part:
        part = part[part["status"].isin(["ok", "blank"])]
    if part.empty:
        return pd.DataFrame(index=pd.Index([], name="report_id"))
    values = pd.to_numeric(part["value"], errors="coerce")
    wide = (part.assign(value=values)
            .pivot_table(index="report_id", columns="row_code", values="value", aggfunc="first", dropna=False))
    wide.columns.name = None
    return wide


def outcome_row_codes() -> dict[str, list[str]]:
    """Row codes of table 三 per outcome group (``不予公开`` → its eight reasons…), from the crosswalk."""
    from .spec import table_spec

    rows = table_spec("table3_rows")
    codes: dict[str, list[str]] = {label: [] for label in OUTCOME_GROUPS}
    for group, code in zip(rows["group"], rows["row_code"]):
        label = re.sub(r"^（.）", "", group)
        if label in codes:
            codes[label].append(code)
    return codes


def _sum_codes(wide: pd.DataFrame, codes: list[str]) -> pd.Series:
    present = [c for c in codes if c in wide.columns]
    if not present:
        return pd.Series(pd.NA, index=wide.index, dtype="Float64")
    return wide[present].astype("Float64").sum(axis=1, min_count=1)


def _group_keys(reports: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    cols = ["report_id", *[c for c in by if c != "report_id"]]
    return reports[cols].drop_duplicates("report_id")


def report_measures(tables: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Per report: requests received, outcome counts, 公开率, 复议/诉讼 counts and rates.

    ``open_rate`` = 予以公开 / （七）总计, ``disclosed_rate`` = (予以公开 + 部分公开) /
    （七）总计; ``review_per_100`` and ``litigation_per_100`` relate table 四's totals to
    the requests received. NA where a figure is blank or the denominator is 0 or blank.
    """
    base = with_agency_columns(reports)[["report_id", "agency", "agency_key", "year", "level", "region"]]
    t3 = cell_values(tables, "table3", "total")
    t4 = cell_values(tables, "table4", "total")
    out = pd.DataFrame(index=pd.Index(base["report_id"], name="report_id"))
    get3 = t3.reindex(out.index)
    out["received"] = get3["received"] if "received" in get3 else pd.NA
    out["outcomes_total"] = get3["total"] if "total" in get3 else pd.NA
    for label, codes in outcome_row_codes().items():
        out[label] = _sum_codes(get3, codes)
    get4 = t4.reindex(out.index)
    out["review"] = get4["review"] if "review" in get4 else pd.NA
    lit = [c for c in ("litigation_direct", "litigation_after_review") if c in get4]
    out["litigation"] = get4[lit].astype("Float64").sum(axis=1, min_count=1) if lit else pd.NA
    out = out.astype("Float64")
    denominator = out["outcomes_total"].where(out["outcomes_total"] > 0)
    out["open_rate"] = out["予以公开"] / denominator
    out["disclosed_rate"] = (out["予以公开"] + out["部分公开"]) / denominator
    received = out["received"].where(out["received"] > 0)
    out["review_per_100"] = out["review"] / received * 100
    out["litigation_per_100"] = out["litigation"] / received * 100
    return base.merge(out.reset_index(), on="report_id", how="left")


def _ratio(num: pd.Series, den: pd.Series) -> float | None:
    both = num.notna() & den.notna()
    total = den[both].sum()
    return float(num[both].sum() / total) if total else None


def volume_by(measures: pd.DataFrame, by: Sequence[str] = ("year",)) -> pd.DataFrame:
    """Requests received per group: reports with a figure, total, mean, median."""
    by = list(by)
    if measures.empty:
        return pd.DataFrame(columns=[*by, "n_reports", "received_total", "received_mean", "received_median"])
    grouped = measures.dropna(subset=["received"]).groupby(by, dropna=False)["received"]
    out = grouped.agg(n_reports="count", received_total="sum", received_mean="mean", received_median="median")
    return out.reset_index()


def outcome_mix(measures: pd.DataFrame, by: Sequence[str] = ("year",)) -> pd.DataFrame:
    """Share of each outcome group among all outcomes per group (pooled), plus 公开率.

    Pools the counts of reports whose （七）总计 is reported; ``n_reports`` says how many.
    """
    by = list(by)
    cols = list(OUTCOME_GROUPS)
    if measures.empty:
        return pd.DataFrame(columns=[*by, "n_reports", *cols, "open_rate", "disclosed_rate"])
    rows = []
    for key, group in measures.dropna(subset=["outcomes_total"]).groupby(by, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        total = group["outcomes_total"].sum()
        row = dict(zip(by, key, strict=True), n_reports=len(group))
        for col in cols:
            row[col] = float(group[col].sum() / total) if total else None
        row["open_rate"] = _ratio(group["予以公开"], group["outcomes_total"])
        row["disclosed_rate"] = _ratio(group["予以公开"] + group["部分公开"], group["outcomes_total"])
        rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "n_reports", *cols, "open_rate", "disclosed_rate"])


def applicant_mix(tables: pd.DataFrame, reports: pd.DataFrame, by: Sequence[str] = ("year",),
                  row_code: str = "received") -> pd.DataFrame:
    """Share of each applicant type among the requests of ``row_code`` per group.

    Uses only reports that fill every applicant column of that row (a report giving
    only the 总计 column says nothing about who asked).
    """
    by = list(by)
    labels = [APPLICANT_LABELS[c] for c in APPLICANT_COLUMNS]
    part = tables[tables["table"].eq("table3") & tables["row_code"].eq(row_code)
                  & tables["col_code"].isin(APPLICANT_COLUMNS)]
    if "status" in part:
        part = part[part["status"].isin(["ok", "blank"])]
    if part.empty:
        return pd.DataFrame(columns=[*by, "n_reports", *labels])
    wide = (part.assign(value=pd.to_numeric(part["value"], errors="coerce"))
            .pivot_table(index="report_id", columns="col_code", values="value", aggfunc="first", dropna=False))
    wide = wide.reindex(columns=list(APPLICANT_COLUMNS)).dropna()
    wide = wide[wide.sum(axis=1) > 0]
    keys = _group_keys(with_agency_columns(reports), by)
    merged = keys.merge(wide.reset_index(), on="report_id")
    rows = []
    for key, group in merged.groupby(by, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        total = group[list(APPLICANT_COLUMNS)].to_numpy().sum()
        row = dict(zip(by, key, strict=True), n_reports=len(group))
        row.update({APPLICANT_LABELS[c]: float(group[c].sum() / total) for c in APPLICANT_COLUMNS})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "n_reports", *labels])


def refusal_reasons(tables: pd.DataFrame, reports: pd.DataFrame, by: Sequence[str] = ("year",)) -> pd.DataFrame:
    """不予公开 counts by reason (总计 column) summed per group; blank reasons are not zeros."""
    by = list(by)
    labels = list(REFUSAL_LABELS.values())
    wide = cell_values(tables, "table3", "total").reindex(columns=list(REFUSAL_LABELS))
    if wide.empty:
        return pd.DataFrame(columns=[*by, "n_reports", *labels])
    keys = _group_keys(with_agency_columns(reports), by)
    merged = keys.merge(wide.reset_index(), on="report_id")
    rows = []
    for key, group in merged.groupby(by, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key, strict=True),
                   n_reports=int(group[list(REFUSAL_LABELS)].notna().any(axis=1).sum()))
        row.update({label: group[code].sum(min_count=1) for code, label in REFUSAL_LABELS.items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "n_reports", *labels])


def review_litigation_by(measures: pd.DataFrame, by: Sequence[str] = ("year",)) -> pd.DataFrame:
    """复议 and 诉讼 cases per 100 requests received, pooled per group."""
    by = list(by)
    cols = [*by, "n_reports", "review", "litigation", "review_per_100", "litigation_per_100"]
    if measures.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for key, group in measures.groupby(by, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        ok = group.dropna(subset=["received", "review", "litigation"])
        ok = ok[ok["received"] > 0]
        rows.append(dict(
            zip(by, key, strict=True), n_reports=len(ok),
            review=ok["review"].sum() if len(ok) else None, litigation=ok["litigation"].sum() if len(ok) else None,
            review_per_100=float(ok["review"].sum() / ok["received"].sum() * 100) if len(ok) else None,
            litigation_per_100=float(ok["litigation"].sum() / ok["received"].sum() * 100) if len(ok) else None,
        ))
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------- data quality

def _is_error(findings: pd.DataFrame) -> pd.Series:
    return findings["severity"].astype("string").str.lower().eq("error").fillna(False)


def error_rates_by_rule(findings: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Per rule: reports with ≥1 error / warning / not-assessable finding, and error rates.

    ``error_rate`` divides by the reports the rule could be assessed on (any finding
    other than ``not_assessable``: the validator records passes as ``ok`` rows);
    ``share_of_reports`` divides by all selected reports.
    """
    cols = ["rule", "assessed", "reports_with_error", "reports_with_warning", "not_assessable", "findings",
            "error_rate", "share_of_reports"]
    n = reports["report_id"].nunique()
    if findings.empty or n == 0:
        return pd.DataFrame(columns=cols)
    sev = findings["severity"].astype("string").str.lower().fillna("")
    rows = []
    for rule, group in findings.groupby("rule"):
        gsev = sev.loc[group.index]
        ids = {s: set(group.loc[gsev.eq(s), "report_id"]) for s in ("error", "warning", "not_assessable", "ok")}
        assessed = len(ids["error"] | ids["warning"] | ids["ok"])
        errors = len(ids["error"])
        rows.append({"rule": rule, "assessed": assessed, "reports_with_error": errors,
                     "reports_with_warning": len(ids["warning"]), "not_assessable": len(ids["not_assessable"]),
                     "findings": int((gsev != "ok").sum()),
                     "error_rate": errors / assessed if assessed else None, "share_of_reports": errors / n})
    frame = pd.DataFrame(rows, columns=cols)
    frame["error_rate"] = frame["error_rate"].astype(float)
    return frame.sort_values(["error_rate", "reports_with_error", "rule"], ascending=[False, False, True],
                             na_position="last", ignore_index=True)


def worst_reports(findings: pd.DataFrame, reports: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` reports with the most error findings (ties: most warnings, then agency/year)."""
    cols = ["report_id", "agency", "year", "errors", "warnings", "rules"]
    if findings.empty or reports.empty:
        return pd.DataFrame(columns=cols)
    sev = findings["severity"].astype("string").str.lower()
    per = findings.assign(errors=sev.eq("error").fillna(False).astype(int),
                          warnings=sev.eq("warning").fillna(False).astype(int))
    agg = per.groupby("report_id").agg(
        errors=("errors", "sum"), warnings=("warnings", "sum"),
        rules=("rule", lambda s: "、".join(sorted(set(map(str, s))))))
    out = reports[["report_id", "agency", "year"]].merge(agg.reset_index(), on="report_id")
    out = out[(out["errors"] > 0) | (out["warnings"] > 0)]
    return out.sort_values(["errors", "warnings", "agency", "year"], ascending=[False, False, True, True])\
        .head(n).reset_index(drop=True)[cols]


def cross_year_findings(findings: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Non-passing findings of the cross-year rules X1–X3 (X4/X5 compare text with tables within a report)."""
    cols = ["agency", "year", *FINDING_COLUMNS]
    if findings.empty:
        return pd.DataFrame(columns=cols)
    rules = findings["rule"].astype("string")
    sev = findings["severity"].astype("string").str.lower()
    part = findings[rules.str.match(r"^X[1-3]").fillna(False) & sev.ne("ok").fillna(True)]
    out = reports[["report_id", "agency", "year"]].merge(part, on="report_id")
    return out.sort_values(["agency", "year", "rule"], ignore_index=True)[[c for c in cols if c in out]]


def cell_status_summary(tables: pd.DataFrame, reports: pd.DataFrame, by: Sequence[str] = ("year",)) -> pd.DataFrame:
    """Share of table cells per status (ok/blank/uncertain/missing) per group: the extraction's uncertainty."""
    by = list(by)
    statuses = ["ok", "blank", "uncertain", "missing"]
    if tables.empty:
        return pd.DataFrame(columns=[*by, "n_reports", "cells", *statuses])
    keys = _group_keys(with_agency_columns(reports), by)
    merged = keys.merge(tables[["report_id", "status"]], on="report_id")
    rows = []
    for key, group in merged.groupby(by, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        counts = group["status"].value_counts()
        row = dict(zip(by, key, strict=True), n_reports=group["report_id"].nunique(), cells=len(group))
        row.update({s: float(counts.get(s, 0) / len(group)) for s in statuses})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "n_reports", "cells", *statuses])


# ---------------------------------------------------------------- narrative: themes, copying, promises

# Chinese names of the theme codes of gdtools/spec/themes.yaml, for tables and charts.
THEME_LABELS = {
    "staffing": "人员力量", "training_skills": "培训与业务能力", "awareness": "公开意识", "timeliness": "及时性",
    "completeness": "完整性", "content_quality": "内容质量与深度", "format_channels": "形式与渠道",
    "interpretation": "政策解读", "responsiveness": "回应关切", "platform": "平台与栏目",
    "request_handling": "依申请办理", "procedures_mechanisms": "制度与机制", "supervision_assessment": "监督考核",
    "funding": "经费保障", "other": "其他",
}


def theme_label(code: str) -> str:
    """The Chinese name of a theme code (the code itself when unknown, e.g. from a user lexicon)."""
    return THEME_LABELS.get(code, code)


def theme_names(value) -> str:
    """The themes of one statement as Chinese names joined by 、 (for display)."""
    return "、".join(theme_label(code) for code in theme_list(value))


def _statements_with_meta(statements: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    meta = with_agency_columns(reports)[["report_id", "agency", "agency_key", "year", "level", "region"]]
    return statements.merge(meta, on="report_id", how="inner")


def theme_frequencies(statements: pd.DataFrame, reports: pd.DataFrame, by: Sequence[str] = ("year",),
                      kind: str = "problem") -> pd.DataFrame:
    """Per group and theme: statements of ``kind`` naming the theme and share of reports that do.

    ``report_share`` divides by the reports of the group that state anything of ``kind``.
    """
    by = list(by)
    cols = [*by, "theme", "statements", "reports", "report_share"]
    merged = _statements_with_meta(statements[statements["kind"].eq(kind)], reports)
    if merged.empty:
        return pd.DataFrame(columns=cols)
    merged = merged.assign(theme=merged["themes"].astype(object).map(theme_list)).explode("theme")
    merged["theme"] = merged["theme"].map(theme_label, na_action="ignore")
    base = merged.groupby(by, dropna=False)["report_id"].nunique().rename("group_reports")
    themed = merged.dropna(subset=["theme"])
    if themed.empty:
        return pd.DataFrame(columns=cols)
    out = themed.groupby([*by, "theme"], dropna=False).agg(statements=("report_id", "size"),
                                                           reports=("report_id", "nunique")).reset_index()
    out = out.merge(base.reset_index(), on=by)
    out["report_share"] = out["reports"] / out["group_reports"]
    return out.sort_values([*by, "reports", "theme"], ascending=[True] * len(by) + [False, True],
                           ignore_index=True)[cols]


def problems_vs_measures(statements: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Per theme: reports naming it as a problem, as a measure, and both (problem answered by a measure).

    ``answered_share`` = reports with both / reports naming the problem; a problem theme
    that no measure of the same report addresses shows as a low share.
    """
    cols = ["theme", "problem_reports", "measure_reports", "both", "answered_share"]
    merged = _statements_with_meta(statements[statements["kind"].isin(["problem", "measure"])], reports)
    if merged.empty:
        return pd.DataFrame(columns=cols)
    merged = merged.assign(theme=merged["themes"].astype(object).map(theme_list)).explode("theme").dropna(subset=["theme"])
    if merged.empty:
        return pd.DataFrame(columns=cols)
    merged["theme"] = merged["theme"].map(theme_label)
    sets = merged.groupby(["theme", "kind"])["report_id"].agg(set).unstack("kind")
    rows = []
    for theme, row in sets.iterrows():
        problems = row.get("problem") if isinstance(row.get("problem"), set) else set()
        measures = row.get("measure") if isinstance(row.get("measure"), set) else set()
        both = len(problems & measures)
        rows.append({"theme": theme, "problem_reports": len(problems), "measure_reports": len(measures),
                     "both": both, "answered_share": both / len(problems) if problems else None})
    return pd.DataFrame(rows, columns=cols).sort_values(["problem_reports", "theme"], ascending=[False, True],
                                                        ignore_index=True)


# ---------------------------------------------------------------- agencies side by side

def agencies_with_most_years(reports: pd.DataFrame, n: int = 3) -> list[str]:
    """Names of the ``n`` agencies with the most distinct report years (ties by name), for comparisons."""
    frame = with_agency_columns(reports)
    frame = frame[frame["agency_key"].ne("")].dropna(subset=["year"])
    if frame.empty:
        return []
    counts = frame.groupby("agency_key").agg(years=("year", "nunique"), agency=("agency", "first"))
    counts = counts.reset_index().sort_values(["years", "agency_key"], ascending=[False, True])
    return list(counts["agency"].head(n))


def agency_panel(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per agency and year: requests, 公开率, 复议/诉讼, errors found, problems and measures stated,
    and the share of statements repeated from the previous year (:func:`gdtools.narrative.copy_rates`)."""
    reports = with_agency_columns(frames["reports"])
    measures = report_measures(frames["tables"], reports)
    findings = frames["findings"]
    errors = findings[_is_error(findings)].groupby("report_id").size() if not findings.empty else None
    panel = measures.assign(errors=measures["report_id"].map(errors).fillna(0).astype(int)
                            if errors is not None else 0)
    statements = frames["statements"]
    for kind, label in (("problem", "problems"), ("measure", "measures")):
        counts = statements[statements["kind"].eq(kind)].groupby("report_id").size()
        panel[label] = panel["report_id"].map(counts).fillna(0).astype(int)
    from .narrative import copy_rates

    copies = copy_rates(statements, reports) if not statements.empty else None
    rates = copies.set_index("report_id")["copy_rate"] if copies is not None and not copies.empty else {}
    panel["copy_rate"] = panel["report_id"].map(rates).astype("Float64")
    cols = ["agency", "agency_key", "year", "received", "open_rate", "disclosed_rate", "review", "litigation",
            "errors", "problems", "measures", "copy_rate", "report_id"]
    return panel.sort_values(["agency_key", "year"], ignore_index=True)[cols]
