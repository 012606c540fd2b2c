"""The content of one synthetic report: blocks in reading order, independent of format.

Tables are grids of :class:`SCell` with spans (as in HTML/Word); value cells carry their
table key so renderers can print them in a lossy way and the truth can be worked out per
cell. Narrative statements of section 五 are recorded with their kind and themes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from ..spec import table_spec
from .world import APPLICANT_COLS, TABLE3_COLS, TABLE4_COLS, TABLE4_ROWS, Agency, YearFigures, table3_rows

ORDINALS = {
    "yishi": ["一是", "二是", "三是", "四是", "五是", "六是"],
    "dun": ["1、", "2、", "3、", "4、", "5、", "6、"],
    "dot": ["1.", "2.", "3.", "4.", "5.", "6."],
    "paren": ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）"],
}


@cache
def phrases() -> dict:
    """The phrase banks (``phrases.yaml`` beside this module)."""
    text = resources.files(__package__).joinpath("phrases.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@dataclass
class SCell:
    """A grid cell as printed. ``key`` = (table, row_code, col_code) for value cells."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    key: tuple[str, str, str] | None = None
    kind: str = "count"  # count / signed / amount (how the printed value tokenises)


@dataclass
class SBlock:
    """A block in reading order: ``title``, ``heading``, ``para``, ``subhead`` or ``table``."""

    kind: str
    text: str = ""
    rows: list[list[SCell]] | None = None
    table: str = ""
    section: str = ""


@dataclass
class Statement:
    text: str
    kind: str  # problem / measure / other
    themes: list[str]


@dataclass
class ReportDoc:
    """Everything a renderer and the truth writer need about one report."""

    agency: Agency
    figures: YearFigures
    title: str
    blocks: list[SBlock]
    statements: list[Statement]
    excluded: list[str]
    section5_title: str
    table2_values: dict[tuple[str, str], float | int | None] = field(default_factory=dict)
    units: dict[tuple[str, str], str] = field(default_factory=dict)
    text_figures: list[dict] = field(default_factory=list)
    x4_mismatches: list[dict] = field(default_factory=list)
    copied_from_previous: str = "none"
    s5_paras: list[list[Statement]] = field(default_factory=list)


def fmt_number(value: float | int) -> str:
    """A number as printed: integers without a decimal point, floats in their shortest form."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _change_text(value: int | None, style: str) -> str:
    if value is None:
        return ""
    if value == 0:
        return "0"
    if style == "zeng":
        return f"增{value}" if value > 0 else f"减{-value}"
    if style == "plus":
        return f"+{value}" if value > 0 else str(value)
    return str(value)


def _value_cell(table: str, row: str, col: str, value, kind: str = "count", text: str | None = None,
                colspan: int = 1) -> SCell:
    if text is None:
        text = "" if value is None else fmt_number(value)
    return SCell(text, colspan=colspan, key=(table, row, col), kind=kind)


# --- tables ---------------------------------------------------------------------------------
@cache
def _table2_layout(version: str) -> list[tuple[str, list[str], list[tuple[str, str, list[tuple[str, str]]]]]]:
    """Per 第二十条 item of ``version``: the column labels and (row_code, label, [(col_code, kind)])."""
    spec = table_spec("table2")
    layout = []
    for item in dict.fromkeys(spec["item"]):
        part = spec[(spec["item"] == item) & (spec[version] != "")]
        if part.empty:
            continue
        rows = []
        for row_code in dict.fromkeys(part["row_code"]):
            sub = part[part["row_code"] == row_code]
            rows.append((row_code, sub[f"row_{version}"].iloc[0], list(zip(sub["col_code"], sub["kind"]))))
        layout.append((item, list(dict.fromkeys(part[version])), rows))
    return layout


def table2_grid(doc: ReportDoc, habits: dict) -> list[list[SCell]]:
    """Table 二 as a 4-column grid with the item banners spanning the width."""
    version = "v2019" if doc.figures.template == "v2019" else "v2021"
    values, units = doc.table2_values, doc.units
    rows: list[list[SCell]] = []
    for item, cols, item_rows in _table2_layout(version):
        rows.append([SCell(f"第二十条第{item}项", colspan=4)])
        span_last = 4 - len(cols)
        header = [SCell("信息内容")] + [SCell(label) for label in cols]
        header[-1].colspan = span_last
        rows.append(header)
        for row_code, label, cells in item_rows:
            line = [SCell(label)]
            for col_code, kind in cells:
                value = values.get((row_code, col_code))
                text = None
                if kind == "signed":
                    text = _change_text(value, habits["change_style"])
                elif row_code == "procurement" and col_code == "amount" and value is not None \
                        and habits["amount_unit"]:
                    text = fmt_number(value) + units[(row_code, col_code)]
                line.append(_value_cell("table2", row_code, col_code, value, kind, text))
            line[-1].colspan = span_last
            rows.append(line)
    return rows


@cache
def _table3_spec():
    return (table_spec("table3_rows").set_index("row_code").to_dict("index"),
            table_spec("table3_cols").set_index("col_code").to_dict("index"))


def table3_grid(figures: YearFigures) -> list[list[SCell]]:
    """Table 三 with its three label columns (group labels span their sub-rows)."""
    spec, cols = _table3_spec()
    version = "v2021" if figures.template == "v2021" else "v2019"
    codes = table3_rows(figures.template)
    rows: list[list[SCell]] = [
        [SCell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
         SCell("申请人情况", colspan=7)],
        [SCell("自然人", rowspan=2), SCell("法人或其他组织", colspan=5), SCell("总计", rowspan=2)],
        [SCell(cols[c]["label"]) for c in APPLICANT_COLS[1:]],
    ]
    outcome = [c for c in codes if c not in ("received", "carried_in", "carried_forward")]
    group_sizes: dict[str, int] = {}
    for code in outcome:
        group_sizes[spec[code]["group"]] = group_sizes.get(spec[code]["group"], 0) + 1
    seen_groups: set[str] = set()
    for code in codes:
        label = spec[code][version] or spec[code]["v2019"]
        values = [_value_cell("table3", code, c, figures.table3[code][c]) for c in TABLE3_COLS]
        if code in ("received", "carried_in", "carried_forward"):
            rows.append([SCell(label, colspan=3), *values])
            continue
        line: list[SCell] = []
        if code == outcome[0]:
            line.append(SCell("三、本年度办理结果", rowspan=len(outcome)))
        group = spec[code]["group"]
        if group_sizes[group] == 1:
            line.append(SCell(label, colspan=2))
        else:
            if group not in seen_groups:
                line.append(SCell(group, rowspan=group_sizes[group]))
                seen_groups.add(group)
            line.append(SCell(label))
        rows.append([*line, *values])
    return rows


def table4_grid(figures: YearFigures) -> list[list[SCell]]:
    """Table 四: three header rows over one row of 15 numbers."""
    labels = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return [
        [SCell("行政复议", colspan=5), SCell("行政诉讼", colspan=10)],
        [*(SCell(lab, rowspan=2) for lab in labels), SCell("未经复议直接起诉", colspan=5),
         SCell("复议后起诉", colspan=5)],
        [*(SCell(lab) for lab in labels), *(SCell(lab) for lab in labels)],
        [_value_cell("table4", row, col, figures.table4[row][col]) for row in TABLE4_ROWS for col in TABLE4_COLS],
    ]


# --- narrative ------------------------------------------------------------------------------
def _fill(template: str, ctx: dict) -> str:
    return template.format(**ctx)


def section5(agency: Agency, year: int, rng: random.Random, ctx: dict) -> tuple[list[list[Statement]], list[str]]:
    """Section 五 as paragraphs of statements, plus the excluded sub-headings."""
    ph = phrases()
    themes = agency.habits["themes"]
    problem_themes = rng.sample(themes, k=min(len(themes), rng.choice([2, 2, 3, 4])))
    measure_themes = list(dict.fromkeys([*problem_themes[: rng.choice([1, 2, 3])],
                                         rng.choice(sorted(ph["measures"]))]))
    problems = [(t, rng.choice(ph["problems"][t])) for t in problem_themes]
    measures = [(t, rng.choice(ph["measures"][t])) for t in measure_themes]
    style = agency.habits["s5_style"]
    paras: list[list[Statement]] = []
    excluded: list[str] = []

    def enum(items, kind, ordinals):
        return [Statement(f"{ordinals[i]}{text}。", kind, [theme]) for i, (theme, text) in enumerate(items)]

    def joined(items) -> str:
        # one sentence: a semicolon would make each clause a statement of its own
        return "、".join(text for _, text in items)

    if style == "headed":
        head_p, head_m = rng.choice(ph["subheads"]["problem"]), rng.choice(ph["subheads"]["measure"])
        ords = ORDINALS[rng.choice(["dun", "dot", "yishi"])]
        excluded += [head_p, head_m]
        paras.append([Statement(head_p, "heading", [])])
        for st in enum(problems, "problem", ords):
            paras.append([st])
        paras.append([Statement(head_m, "heading", [])])
        for st in enum(measures, "measure", ords):
            paras.append([st])
    elif style == "summary":
        items = joined(problems)
        paras.append([Statement(_fill(rng.choice(ph["problem_summary"]), {**ctx, "items": items}), "problem",
                                sorted({t for t, _ in problems}))])
        ords = ORDINALS[rng.choice(["yishi", "dun"])]
        paras.append([Statement(_fill(rng.choice(ph["measure_intro"]), ctx), "other", []),
                      *enum(measures, "measure", ords)])
    elif style == "inline":
        ords = ORDINALS[rng.choice(["yishi", "dun", "paren"])]
        paras.append([Statement(_fill(rng.choice(ph["problem_intro"]), ctx), "other", []),
                      *enum(problems, "problem", ords)])
        paras.append([Statement(_fill(rng.choice(ph["measure_intro"]), ctx), "other", []),
                      *enum(measures, "measure", ords)])
    else:  # "brief": one problem sentence, one measure sentence
        items = joined(problems)
        paras.append([Statement(_fill(rng.choice(ph["problem_summary"]), {**ctx, "items": items}), "problem",
                                sorted({t for t, _ in problems}))])
        items = "，".join(text for _, text in measures)
        paras.append([Statement(_fill(rng.choice(ph["measure_summary"]), {**ctx, "items": items}), "measure",
                                sorted({t for t, _ in measures}))])
    if rng.random() < agency.habits["boilerplate"]:
        paras[-1].append(Statement(_fill(rng.choice(ph["boilerplate"]), ctx), "other", []))
    return paras, excluded


_NEAR_EDITS = [("进一步", "持续"), ("加强", "强化"), ("不断", "持续"), ("提升", "提高"), ("做好", "抓好")]


def near_copy(paras: list[list[Statement]], prev_year: int, year: int, rng: random.Random) -> list[list[Statement]]:
    """Last year's section 五 with the years moved on and a word or two changed."""
    out = []
    for para in paras:
        new = []
        for st in para:
            text = st.text.replace(f"{prev_year + 1}年", f"{year + 1}年").replace(f"{prev_year}年", f"{year}年")
            if st.kind in ("problem", "measure") and rng.random() < 0.5:
                old, repl = rng.choice(_NEAR_EDITS)
                text = text.replace(old, repl, 1)
            new.append(Statement(text, st.kind, list(st.themes)))
        out.append(new)
    return out
