"""Assemble one report (title, six sections or a legacy layout, tables, narrative)."""

from __future__ import annotations

import random

from .document import (
    ReportDoc,
    SBlock,
    Statement,
    near_copy,
    phrases,
    section5,
    table2_grid,
    table3_grid,
    table4_grid,
)
from .world import Agency, YearFigures


def _ctx(agency: Agency, year: int) -> dict:
    return {"year": year, "next": year + 1, "we": agency.we, "agency": agency.name}


def _printed_table2(figures: YearFigures, habits: dict) -> tuple[dict, dict]:
    values = dict(figures.table2)
    units: dict[tuple[str, str], str] = {}
    amount = values.get(("procurement", "amount"))
    if ("procurement", "amount") in values:
        if habits["amount_unit"] == "万元" and amount is not None:
            values[("procurement", "amount")] = round(amount / 10000, 2)
        units[("procurement", "amount")] = habits["amount_unit"] or "元"
    if ("fees", "fee_amount") in values:
        units[("fees", "fee_amount")] = "万元"
    return values, units


def _section1(doc: ReportDoc, rng: random.Random, ctx: dict) -> list[str]:
    ph, figures = phrases(), doc.figures
    paras = [rng.choice(ph["overview_opening"]).format(**ctx)]
    paras.append(rng.choice(ph["overview_active"]).format(n=figures.active_items, k=rng.randint(3, 40), **ctx))
    table_total = figures.table3["received"]["total"]  # never blanked by blank_out
    if table_total == 0:
        paras.append(rng.choice(ph["overview_request_none"]).format(**ctx))
    else:
        quoted = table_total
        if doc.agency.habits["x4_slip"] and rng.random() < 0.5:
            quoted = max(0, table_total + rng.choice([-3, -1, 1, 2, 7]))
            if quoted == table_total:
                quoted += 1
            doc.x4_mismatches.append({"where": "table3/本年新收/总计", "text_value": quoted,
                                      "table_value": table_total})
        sentence = rng.choice(ph["overview_request"])
        opened = figures.table3["open"]["total"]
        if "{k}" in sentence and opened is None:
            sentence = ph["overview_request"][0]
        paras.append(sentence.format(n=quoted, k=opened, **ctx))
        doc.text_figures.append({"where": "table3/本年新收/总计", "text_value": quoted})
        if "{k}" in sentence:
            doc.text_figures.append({"where": "table3/予以公开/总计", "text_value": opened})
    more = rng.sample(range(len(ph["overview_more"])), k=rng.randint(1, 3))
    for sentence in (ph["overview_more"][i] for i in sorted(more)):
        paras.append(sentence.format(k=rng.randint(2, 30), **ctx))
    return paras


def _section6(figures: YearFigures, rng: random.Random, ctx: dict) -> str:
    ph = phrases()
    if figures.template == "v2019":
        return rng.choice(ph["section6_v2019"]).format(**ctx)
    no_fee = figures.table3.get("other_no_fee", {}).get("total") or 0
    if no_fee or rng.random() < 0.1:
        k = no_fee + rng.randint(1, 3)
        sentence = ph["section6_fee_some"][1] if no_fee else rng.choice(ph["section6_fee_some"])
        return sentence.format(k=k, m=no_fee, fee=rng.choice([0, 30, 100, 240]), **ctx)
    return rng.choice(ph["section6_fee_none"]).format(**ctx)


def compose(agency: Agency, figures: YearFigures, rng: random.Random,
            previous: ReportDoc | None) -> ReportDoc:
    """The report of ``agency`` for ``figures.year`` (``previous``: its report of the year before)."""
    ph, habits, year = phrases(), agency.habits, figures.year
    ctx = _ctx(agency, year)
    title = rng.choice(ph["title_patterns"]).format(**ctx)
    doc = ReportDoc(agency=agency, figures=figures, title=title, blocks=[], statements=[], excluded=[],
                    section5_title="")
    doc.table2_values, doc.units = _printed_table2(figures, habits)
    # section 五: fresh, or last year's copied verbatim / nearly verbatim
    copy_mode = "none"
    if previous is not None and previous.figures.year == year - 1 and previous.statements:
        draw = rng.random()
        if draw < habits["copy_verbatim"]:
            copy_mode = "verbatim"
        elif draw < habits["copy_verbatim"] + habits["copy_near"]:
            copy_mode = "near"
    if copy_mode == "none":
        s5_paras, excluded = section5(agency, year, rng, ctx)
    else:
        s5_paras = previous.s5_paras
        excluded = list(previous.excluded)
        if copy_mode == "near":
            s5_paras = near_copy(s5_paras, year - 1, year, rng)
    doc.copied_from_previous = copy_mode
    doc.s5_paras = s5_paras
    doc.excluded = excluded
    doc.statements = [st for para in s5_paras for st in para if st.kind != "heading"]
    blocks = [SBlock("title", title)]
    if figures.template == "legacy":
        blocks += _legacy_blocks(doc, rng, ctx, s5_paras)
    else:
        blocks.append(SBlock("para", rng.choice(ph["preamble"]).format(**ctx)))
        head = {code: rng.choice(options) for code, options in ph["headings"].items()}
        blocks.append(SBlock("heading", head["一"], section="一"))
        blocks += [SBlock("para", p, section="一") for p in _section1(doc, rng, ctx)]
        for code, grid_name in (("二", "table2"), ("三", "table3"), ("四", "table4")):
            blocks.append(SBlock("heading", head[code], section=code))
            intro = rng.choice(ph["section_text"][code])
            if intro:
                blocks.append(SBlock("para", intro, section=code))
            grid = {"table2": lambda: table2_grid(doc, habits), "table3": lambda: table3_grid(figures),
                    "table4": lambda: table4_grid(figures)}[grid_name]()
            blocks.append(SBlock("table", rows=grid, table=grid_name, section=code))
        blocks.append(SBlock("heading", head["五"], section="五"))
        doc.section5_title = head["五"]
        blocks += _statement_blocks(s5_paras, "五")
        blocks.append(SBlock("heading", head["六"], section="六"))
        blocks.append(SBlock("para", _section6(figures, rng, ctx), section="六"))
    blocks.append(SBlock("para", agency.name, section="end"))
    blocks.append(SBlock("para", ph["closing_date"].format(month=rng.randint(1, 3), day=rng.randint(1, 28), **ctx),
                         section="end"))
    doc.blocks = blocks
    return doc


def _statement_blocks(paras: list[list[Statement]], code: str) -> list[SBlock]:
    out = []
    for para in paras:
        if len(para) == 1 and para[0].kind == "heading":
            out.append(SBlock("subhead", para[0].text, section=code))
        else:
            out.append(SBlock("para", "".join(st.text for st in para), section=code))
    return out


def _legacy_blocks(doc: ReportDoc, rng: random.Random, ctx: dict, s5_paras) -> list[SBlock]:
    ph, figures = phrases(), doc.figures
    heads = ph["legacy_headings"]
    n = figures.received_total
    blocks = [SBlock("para", rng.choice(ph["preamble"][:2]).format(**ctx))]
    body = {
        0: [rng.choice(ph["legacy_overview"]).format(**ctx)],
        1: [rng.choice(ph["legacy_active"]).format(n=figures.active_items, k=figures.active_items * 4 // 5, **ctx)],
        2: [rng.choice(ph["legacy_request"]).format(n=n, k=n // 2, **ctx) if n else
            ph["legacy_request_none"][0].format(**ctx)],
        3: [rng.choice(ph["legacy_fee"]).format(**ctx)],
        4: [rng.choice(ph["legacy_review"]).format(**ctx)],
        6: [rng.choice(ph["legacy_other"]).format(**ctx)],
    }
    for i, heading in enumerate(heads):
        blocks.append(SBlock("heading", heading, section=f"legacy{i}"))
        if i == 5:
            doc.section5_title = heading
            blocks += _statement_blocks(s5_paras, f"legacy{i}")
        else:
            blocks += [SBlock("para", p, section=f"legacy{i}") for p in body[i]]
    return blocks
