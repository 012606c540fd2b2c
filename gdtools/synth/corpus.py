"""``generate_corpus``: plan agencies and years, compose, render, write files and truth."""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import random
from collections import Counter
from pathlib import Path

from ..errors import GdtoolsError
from .compose import compose
from .document import ReportDoc, phrases
from .places import places
from .render_text import MODE_KIND, render_text
from .truth import expected_json, narrative_json, uncertain_cells
from .world import Agency, AgencyHistory, blank_out, inject_error

log = logging.getLogger("gdtools")

FORMATS = ("txt", "md", "html", "docx", "pdf")
FIRST_YEAR, LAST_YEAR = 2015, 2025
ERROR_RATE = 0.10  # share of standard-template reports printed with an arithmetic slip (exact)
# Share of PDFs embedding a subset of their font (as Word/WPS exports do); the rest name an unembedded
# font, which some readers (PDFium) cannot measure. Drawn per report.
PDF_EMBED_RATE = 0.85

# Text layouts: table modes for 二/三/四 and whether newlines are lost (crawler text).
TEXT_PROFILES = {
    "tab_rows": ({"table2": "tab", "table3": "tab", "table4": "tab"}, False),
    "cells_kept": ({"table2": "lines_kept", "table3": "lines_kept", "table4": "lines_kept"}, False),
    "cells_padded": ({"table2": "lines_padded", "table3": "lines_padded", "table4": "lines_padded"}, False),
    "cells_dropped": ({"table2": "lines_dropped", "table3": "lines_dropped", "table4": "lines_dropped"}, False),
    "pdf_text": ({"table2": "space", "table3": "space", "table4": "space"}, False),
    "glued_rows": ({"table2": "glued", "table3": "glued", "table4": "glued"}, False),
    "crawler_glued": ({"table2": "glued", "table3": "glued", "table4": "glued"}, True),
    "crawler_mixed": ({"table2": "space", "table3": "glued", "table4": "space"}, True),
    "label_glued": ({"table2": "label_glued", "table3": "label_glued", "table4": "tab"}, False),
}
_PROFILE_WEIGHTS = {"tab_rows": 2, "cells_kept": 2, "cells_padded": 0.8, "cells_dropped": 1, "pdf_text": 1, "glued_rows": 1,
                    "crawler_glued": 1.5, "crawler_mixed": 1, "label_glued": 1}
_FORMAT_WEIGHTS = {"txt": 6, "md": 1.5, "html": 2.5, "docx": 1.5, "pdf": 2}
# Grids (markdown pipes, HTML, Word, PDF) keep every cell in its place.
_GRID_MODES = {"table2": "pipe", "table3": "pipe", "table4": "pipe"}


def _agency_pool(world: int = 0) -> list[Agency]:
    ph = phrases() | places(world)
    pool: list[Agency] = []
    for prov in ph["provinces"]:
        city = next(c["name"] for c in ph["cities"] if c["province"] == prov["name"])
        pool.append(Agency(f"{prov['name']}人民政府办公厅", f"{prov['slug']}-gov-office", "province", "government",
                           prov["name"], city, "我厅", 1.0, True))
        for d in ph["departments"]:
            pool.append(Agency(f"{prov['name']}{d['name']}", f"{prov['slug']}-{d['slug']}", "province",
                               "department", prov["name"], city, d["we"], d["scale"], False))
    for c in ph["cities"]:
        pool.append(Agency(f"{c['name']}人民政府", f"{c['slug']}-city-gov", "city", "government", c["province"],
                           c["name"], "我市", 1.0, True))
        for d in ph["departments"]:
            pool.append(Agency(f"{c['name']}{d['city']}", f"{c['slug']}-{d['slug']}", "city", "department",
                               c["province"], c["name"], d["we_city"], d["scale"], False))
    for k in ph["counties"]:
        city = next(c for c in ph["cities"] if c["name"] == k["city"])
        we = "我区" if k["name"].endswith("区") else "我县"
        pool.append(Agency(f"{k['name']}人民政府", f"{k['slug']}-county-gov", "county", "government",
                           city["province"], city["name"], we, 1.0, False))
        for d in ph["departments"]:
            pool.append(Agency(f"{k['name']}{d['city']}", f"{k['slug']}-{d['slug']}", "county", "department",
                               city["province"], city["name"], d["we_city"], d["scale"], False))
    for t in ph["townships"]:
        county = next(k for k in ph["counties"] if k["name"] == t["county"])
        city = next(c for c in ph["cities"] if c["name"] == county["city"])
        name = t["name"] if t["name"].endswith("办事处") else f"{t['name']}人民政府"
        we = {"镇": "我镇", "乡": "我乡"}.get(t["name"][-1], "我街道")
        pool.append(Agency(name, f"{t['slug']}-township", "township", "government", city["province"],
                           city["name"], we, 1.0, False))
    return pool


def _deck(weights: dict[str, float], rng: random.Random) -> list[str]:
    """Every item once (shuffled), then the items again in proportion to their weights: dealt
    round-robin to agencies so that even a small corpus shows every format and layout."""
    first = list(weights)
    rng.shuffle(first)
    extra = [item for item, weight in weights.items() for _ in range(max(0, round(weight * 2) - 1))]
    rng.shuffle(extra)
    return first + extra


def _habits(rng: random.Random, slot: int, fmt: str, profile: str, gb18030: bool) -> dict:
    themes = sorted(phrases()["problems"])
    copy_kind = rng.choice(["fresh", "fresh", "verbatim", "near", "mixed"])
    return {
        "format": fmt,
        "text_profile": profile,
        "gb18030": gb18030,
        "zeros_blank": rng.random() < (0.5 if profile in ("cells_dropped", "cells_padded", "pdf_text") else 0.1),
        "total_blank": rng.random() < 0.05,
        "table2_blank": rng.random() < 0.12,
        "change_style": rng.choice(["zeng", "plus", "plain"]),
        "amount_unit": rng.choice(["元", "元", "万元", ""]),
        "html_blank": rng.choice(["nbsp", "nbsp", "dash", "slash", "empty"]),
        "html_fullwidth": rng.random() < 0.2,
        "html_wu": rng.random() < 0.2,
        "s5_style": rng.choice(["headed", "summary", "inline", "brief"]),
        "themes": rng.sample(themes, k=rng.randint(4, 6)),
        "boilerplate": rng.choice([0.1, 0.4, 0.8]),
        "copy_verbatim": {"fresh": 0.0, "verbatim": 0.6, "near": 0.1, "mixed": 0.3}[copy_kind],
        "copy_near": {"fresh": 0.05, "verbatim": 0.1, "near": 0.6, "mixed": 0.3}[copy_kind],
        "x4_slip": slot % 6 == 2,
        "old_other_row": slot % 7 == 4,
    }


def _plan(n: int, rng: random.Random, world: int) -> list[tuple[Agency, list[int]]]:
    pool = _agency_pool(world)
    n_years = LAST_YEAR - FIRST_YEAR + 1
    if n > len(pool) * n_years:
        raise GdtoolsError(f"at most {len(pool) * n_years} synthetic reports can be generated in one world "
                           f"(asked for {n}): generate more in parts, each with its own --world")
    n_agencies = min(len(pool), max(1, math.ceil(n / 5.5)))
    shares = {"province": 0.2, "city": 0.3, "county": 0.35, "township": 0.15}
    chosen: list[Agency] = []
    for level, share in shares.items():
        members = [a for a in pool if a.level == level]
        k = min(len(members), round(share * n_agencies))
        governments = [a for a in members if a.kind == "government"]
        first = rng.sample(governments, k=1) if k >= 2 else []  # each level's own government too
        chosen += first + rng.sample([a for a in members if a not in first], k=k - len(first))
    rest = [a for a in pool if a not in chosen]
    rng.shuffle(rest)
    chosen = (chosen + rest)[:n_agencies]
    lengths = [rng.choice([3, 4, 5, 5, 6, 7, 7]) for _ in chosen]
    while sum(lengths) > n:
        i = rng.choice([i for i, length in enumerate(lengths) if length > 1] or [0])
        if lengths[i] == 1:  # every agency has a single year: drop agencies
            lengths.pop(i)
            chosen.pop(i)
        else:
            lengths[i] -= 1
    while sum(lengths) < n:
        i = rng.choice([i for i, length in enumerate(lengths) if length < n_years])
        lengths[i] += 1
    plan = []
    for agency, length in zip(chosen, lengths):
        latest = LAST_YEAR - length + 1
        if rng.random() < 0.25:  # a run reaching back into the free-form (legacy) years
            start = rng.randint(FIRST_YEAR, min(2017, latest))
        else:
            start = rng.randint(min(2019, latest), latest)
        plan.append((agency, list(range(start, start + length))))
    plan.sort(key=lambda item: (item[0].level != "province", item[0].level != "city", item[0].slug))
    return plan


def _template(year: int, habits: dict) -> str:
    if year <= 2018:
        return "legacy"
    if year <= 2020:
        return "v2019"
    return "v2021-other1" if habits["old_other_row"] else "v2021"


def _choose_format(habits: dict, formats: list[str], rng: random.Random) -> str:
    fmt = habits["format"] if rng.random() < 0.8 else rng.choice(formats)
    if fmt == "txt" and "md" not in formats and rng.random() < 0.12:
        return "md"  # markdown is text too: `txt` includes a few pipe-table files
    return fmt


def _render(doc: ReportDoc, fmt: str, embed_font: bool, docx_tables: dict) -> tuple[bytes, dict[str, str], str, str, list[str]]:
    """(file bytes, table modes, text the narrative offsets index, its description, noise tags).

    ``embed_font``: a PDF embeds a subset of its font (other formats ignore it). ``docx_tables``:
    Word tables merged so far, by layout (reused across the reports of one corpus).
    """
    habits = doc.agency.habits
    if fmt in ("txt", "md"):
        if fmt == "md":
            modes, collapse, noise = _GRID_MODES, False, ["pipe_tables"]
            text = render_text(doc, modes, markdown=True)
        else:
            modes, collapse = TEXT_PROFILES[habits["text_profile"]]
            noise = [habits["text_profile"]]
            text = render_text(doc, modes, collapse=collapse)
        encoding = "gb18030" if fmt == "txt" and habits["gb18030"] else "utf-8"
        if encoding != "utf-8":
            noise.append(encoding)
        return text.encode(encoding), modes, text, f"file text ({encoding})", noise
    plain = render_text(doc, {"table2": "tab", "table3": "tab", "table4": "tab"})
    plain_source = "plain text of the generated document (one paragraph or table row per line)"
    if fmt == "html":
        from .render_html import render_html

        page = render_html(doc)
        noise = ["html_spans", f"blank={habits['html_blank']}"]
        noise += ["fullwidth_digits"] * habits["html_fullwidth"] + ["wu_for_zero"] * habits["html_wu"]
        return page.encode("utf-8"), _GRID_MODES, page, "raw HTML source", noise
    if fmt == "docx":
        from .render_docx import render_docx

        return render_docx(doc, docx_tables), _GRID_MODES, plain, plain_source, ["merged_cells"]
    from .render_pdf import render_pdf

    data, table3_pages = render_pdf(doc, embed_font)
    noise = ["page_numbers"] + ["table_split_across_pages"] * (len(table3_pages) > 1)
    noise += [] if embed_font else ["font_not_embedded"]
    return data, _GRID_MODES, plain, plain_source, noise


def generate_corpus(out, n: int = 100, seed: int = 0, formats=("txt", "html", "docx", "pdf"),
                    world: int = 0) -> list[Path]:
    """Write ``n`` fictional reports with their ground truth under ``out``; return the report paths.

    Layout (as ``../shared/realdata``): ``reports/<stem>.<ext>``, ``expected/<stem>.json`` (tables
    as printed, cells the text does not determine under ``uncertain``; none for legacy reports,
    which have no standard tables), ``narrative/<stem>.json`` (section 五 statements),
    ``MANIFEST.csv`` and ``README.md``. The same ``seed`` (and ``world``) gives byte-identical files.

    ``world``: 0 is the fixed set of fictional places; each K ≥ 1 has invented place names (and so
    agencies) of its own, shared with no other world: generate a large corpus in parts, one world each,
    and no agency-year repeats.
    """
    formats = [f.strip().lower() for f in formats]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise GdtoolsError(f"unknown synthetic format(s) {unknown or formats}: choose from {', '.join(FORMATS)}")
    if n < 1:
        raise GdtoolsError(f"-n must be at least 1 (got {n})")
    rng = random.Random(seed)
    plan = _plan(n, rng, world)
    world_note = f", world {world}" if world else ""
    out = Path(out)
    for sub in ("reports", "expected", "narrative"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    format_deck = _deck({f: _FORMAT_WEIGHTS[f] for f in formats}, rng)
    profile_deck = _deck(_PROFILE_WEIGHTS, rng)
    standard = [(a.slug, y) for a, years in plan for y in years if y >= 2019]
    with_error = set(rng.sample(standard, k=round(ERROR_RATE * len(standard))))
    manifest, paths, index, n_text = [], [], 0, 0
    docx_tables: dict = {}
    for slot, (agency, years) in enumerate(plan):
        arng = random.Random(f"{seed}:{agency.slug}")
        fmt = format_deck[slot % len(format_deck)]
        agency.habits = _habits(arng, slot, fmt, profile_deck[n_text % len(profile_deck)], n_text % 5 == 1)
        n_text += fmt == "txt"
        history = AgencyHistory(agency, arng)
        previous: tuple[str, ReportDoc] | None = None
        for year in years:
            template = _template(year, agency.habits)
            fmt = _choose_format(agency.habits, formats, arng)
            figures = history.year(year, template)
            glued = fmt == "txt" and TEXT_PROFILES[agency.habits["text_profile"]][0]["table3"] == "glued"
            if template != "legacy":
                blank_out(figures, agency.habits, arng, tables_may_blank=not glued)
                if (agency.slug, year) in with_error:
                    figures = inject_error(figures, arng)
            doc = compose(agency, figures, arng, previous[1] if previous else None)
            # its own generator, so the choice changes no other draw (and no other file)
            embed_font = random.Random(f"{seed}:{agency.slug}:{year}:font").random() < PDF_EMBED_RATE
            data, modes, text, text_source, noise = _render(doc, fmt, embed_font, docx_tables)
            if fmt == "html" and agency.habits["html_wu"]:
                # a cell printed 无 is read as blank (gdtools.tables), so the truth records it blank
                for block in doc.blocks:
                    for cell in (c for line in block.rows or [] for c in line if c.key and c.text == "0"):
                        if cell.key[0] == "table2":
                            doc.table2_values[cell.key[1:]] = None
            stem = f"{index:03d}_{agency.slug}-{year}"
            file = f"{stem}.{fmt}"
            index += 1
            (out / "reports" / file).write_bytes(data)
            paths.append(out / "reports" / file)
            noise += _blank_noise(figures, agency.habits, template)
            uncertain = []
            if template != "legacy":
                for block in doc.blocks:
                    if block.kind == "table":
                        uncertain += uncertain_cells(doc, block.rows or [], MODE_KIND[modes[block.table]])
                notes = (f"Synthetic report (gdtools synth, seed {seed}{world_note}). Format {fmt}; "
                         f"layout: {', '.join(noise)}. "
                         "Values as printed; null = printed blank; '—', '/' and '无' are blank cells.")
                _write_json(out / "expected" / f"{stem}.json", expected_json(doc, file, uncertain, notes))
            prev_in_set = previous if previous and previous[1].figures.year == year - 1 else None
            _write_json(out / "narrative" / f"{stem}.json", narrative_json(doc, file, text, text_source, prev_in_set))
            previous = (file, doc)
            injected = list(figures.injected) + [f"X4: text quotes {m['text_value']} for {m['where']} "
                                                 f"(table {m['table_value']})" for m in doc.x4_mismatches]
            manifest.append({
                "file": file, "agency": agency.name, "year": year,
                "template": "older" if template == "legacy" else template, "format": fmt, "level": agency.level,
                "region": agency.region, "noise": ";".join(noise), "injected_errors": "; ".join(injected),
                "uncertain_cells": len(uncertain), "copied_section5": doc.copied_from_previous,
            })
    _write_manifest(out / "MANIFEST.csv", manifest)
    (out / "README.md").write_text(_readme(manifest, n, seed, formats, world), encoding="utf-8")
    log.info("wrote %d synthetic reports to %s", len(paths), out)
    return paths


def _blank_noise(figures, habits: dict, template: str) -> list[str]:
    if template == "legacy":
        return ["legacy_free_form"]
    tags = []
    if any(v is None for cells in figures.table3.values() for v in cells.values()):
        tags.append("blank_cells")
    if template == "v2021-other1":
        tags.append("single_other_row")
    tags.append(f"change={habits['change_style']}")
    return tags


def _write_json(path: Path, record: dict) -> None:
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _write_manifest(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _readme(rows: list[dict], n: int, seed: int, formats: list[str], world: int) -> str:
    by_format = Counter(r["format"] for r in rows)
    by_template = Counter(r["template"] for r in rows)
    with_errors = sum(1 for r in rows if r["injected_errors"])
    agencies = len({r["agency"] for r in rows})
    by_layout = Counter(r["noise"].split(";")[0] for r in rows)
    fmt_list = ", ".join(f"{k} {v}" for k, v in sorted(by_format.items()))
    layout_list = ", ".join(f"{k} {v}" for k, v in sorted(by_layout.items()))
    n_uncertain = sum(int(r["uncertain_cells"]) for r in rows)
    tpl_list = ", ".join(f"{k} {v}" for k, v in sorted(by_template.items()))
    n_pdf = sum(1 for r in rows if r["format"] == "pdf")
    n_unembedded = sum(1 for r in rows if "font_not_embedded" in r["noise"].split(";"))
    pdf_line = (f"\n- PDFs: {n_pdf - n_unembedded} of {n_pdf} embed a font subset (SimHei); the other {n_unembedded} "
                f"(`noise` tag `font_not_embedded`)\n  only name STSong-Light, as a minority of published PDFs do "
                f"(share drawn per report, {PDF_EMBED_RATE:.0%} embedded)") if n_pdf else ""
    fmt_arg = "" if formats == ["txt", "html", "docx", "pdf"] else f" --formats {','.join(formats)}"
    world_arg = f" --world {world}" if world else ""
    cmd = f"gdtools synth -n {n} --seed {seed}{fmt_arg}{world_arg} -o DIR"
    return f"""# Synthetic sample corpus (generated — not real reports)

Every file here was generated by `gdtools.synth` for testing and demonstration. The agencies,
place names, figures and sentences are fictional (written for gdtools; any resemblance to a
real place or report is accidental). Nothing here is copied from a real report.

Regenerate (byte-identical; DIR is this folder, e.g. `data/sample`): `{cmd}`

Contents: {len(rows)} reports from {agencies} agencies (province, city, county and township
governments and departments), years {min(r['year'] for r in rows)}–{max(r['year'] for r in rows)}.
- formats: {fmt_list} (`.md` files are the markdown share of the text format)
- templates: {tpl_list}
  (`older` = free-form 2015–2018 reports without standard tables; `v2021-other1` = v2021
  reports printing the single v2019 （六）其他处理 row)
- layouts (first `noise` tag): {layout_list}
- reports with an injected error (printed arithmetic slip or a section 一 figure that
  contradicts table 三): {with_errors}; table cells the text does not determine: {n_uncertain}{pdf_line}

Use it like the real data: `python -m gdtools.eval tables DIR`, or as the notebooks' corpus.

Layout (same as `../shared/realdata`):
- `reports/<stem>.<ext>` — the reports, with the damage real files show: one cell per line
  with empty cells kept or dropped, glued digit rows, digits glued to labels, crawler text
  with newlines lost, GB18030 text, HTML pages with spans/`&nbsp;`/full-width digits/`—`,
  Word tables with merged cells, PDFs with page-number footers and tables split over pages
  (most embedding a font subset, some naming an unembedded font).
- `expected/<stem>.json` — table values as printed (`null` = printed blank), `uncertain`
  (cells the text does not determine, with every candidate value), `_checks_as_recorded`
  (R1–R4 as printed), `_injected_errors`, `x4_text_figures` / `x4_mismatches`.
- `narrative/<stem>.json` — section 五 statements (text, kind, themes, offsets into the text
  named by `text_source`) and the statements repeated from the previous year.
- `MANIFEST.csv` — file, agency, year, template, format, level, region, noise,
  injected_errors, uncertain_cells, copied_section5.
"""
