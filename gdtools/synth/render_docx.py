"""Word rendering (python-docx) with merged cells; byte-identical for the same input."""

from __future__ import annotations

import copy
import io
import zipfile
from datetime import datetime

from .document import ReportDoc, SCell
from .render_text import expand_grid

_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def _merged_skeleton(table, rows: list[list[SCell]]) -> tuple:
    """Merge the cells of a new empty ``table`` as ``rows`` span them; return a copy of its XML
    and where each cell of ``rows`` starts in it ((row, index of its w:tc), in order)."""
    # cells are collected once: table.cell() re-walks the whole table on every call
    grid = [list(row.cells) for row in table.rows]
    merges, starts = [], []
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            starts.append((r, c))
            if cell.rowspan > 1 or cell.colspan > 1:
                merges.append((grid[r][c], grid[r + cell.rowspan - 1][c + cell.colspan - 1]))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    for first, last in merges:
        first.merge(last)
    trs = table._tbl.tr_lst
    places = [(r, trs[r].tc_lst.index(trs[r].tc_at_grid_offset(c))) for r, c in starts]
    return copy.deepcopy(table._tbl), places


def _fill_table(table, rows: list[list[SCell]], skeletons: dict) -> None:
    """Merge and fill ``table`` (new, empty). Merging in python-docx costs far more than the rest
    of a report, and a layout repeats: each layout is merged once (per ``skeletons``, the merged
    tables by cell spans), later tables of that layout take a copy. The bytes are the same: merging
    moves the content of covered cells only, which are empty, so texts can be written after it."""
    from docx.table import _Cell

    layout = tuple(tuple((cell.rowspan, cell.colspan) for cell in row) for row in rows)
    if layout not in skeletons:
        skeletons[layout] = _merged_skeleton(table, rows)
    skeleton, places = skeletons[layout]
    tbl = copy.deepcopy(skeleton)
    table._tbl.getparent().replace(table._tbl, tbl)
    trs = tbl.tr_lst
    for cell, (r, k) in zip((cell for row in rows for cell in row), places):
        _Cell(trs[r].tc_lst[k], table).text = cell.text


def render_docx(doc: ReportDoc, skeletons: dict | None = None) -> bytes:
    """The report as .docx bytes (fixed core-property dates and zip timestamps).

    ``skeletons``: merged tables by layout, kept by the caller across reports (see ``_fill_table``).
    """
    from docx import Document
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(12)
    props = document.core_properties
    fixed = datetime(doc.figures.year + 1, 1, 15, 9, 0, 0)
    props.created = props.modified = fixed
    props.last_printed = fixed
    props.author = props.last_modified_by = doc.agency.name
    props.title = doc.title
    props.revision = 1
    for block in doc.blocks:
        if block.kind == "table":
            rows = block.rows or []
            table = document.add_table(rows=len(rows), cols=max(len(line) for line in expand_grid(rows)))
            table.style = "Table Grid"
            _fill_table(table, rows, {} if skeletons is None else skeletons)
        elif block.kind == "title":
            paragraph = document.add_paragraph()
            run = paragraph.add_run(block.text)
            run.bold = True
            run.font.size = Pt(16)
        elif block.kind == "heading":
            document.add_paragraph().add_run(block.text).bold = True
        else:
            document.add_paragraph(block.text)
    raw = io.BytesIO()
    document.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and a fixed member order."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()
