"""PDF rendering (reportlab).

Most published PDFs (Word/WPS exports) embed a subset of their font; the rest only name a
font the reader must have. A report is rendered either with a subset of SimHei embedded (the
TrueType font shipped with ``mplfonts``) or with reportlab's built-in STSong-Light CID font,
which is named, not embedded. Pages carry ``- N -`` footers, so page numbers land inside the text layer of long tables,
and table 三 is long enough to break across a page. ``rl_config.invariant`` makes the
output byte-identical for the same input.
"""

from __future__ import annotations

import io
from importlib.resources import as_file, files

from .document import ReportDoc, SCell
from .render_text import expand_grid

EMBEDDED_FONT = "SimHei"  # TrueType: a subset of it is embedded in the PDF
SYSTEM_FONT = "STSong-Light"  # reportlab's built-in CID font: named, not embedded
_MM = 72 / 25.4


def _setup(embed: bool) -> str:
    """Register the font (once per process) and return its name."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics

    rl_config.invariant = 1
    font = EMBEDDED_FONT if embed else SYSTEM_FONT
    if font not in pdfmetrics.getRegisteredFontNames():
        if embed:
            from reportlab.pdfbase.ttfonts import TTFont

            with as_file(files("mplfonts") / "fonts" / "SimHei.ttf") as path:
                pdfmetrics.registerFont(TTFont(font, str(path)))
        else:
            from reportlab.pdfbase.cidfonts import UnicodeCIDFont

            pdfmetrics.registerFont(UnicodeCIDFont(font))
    return font


def _spans(rows: list[list[SCell]]) -> list[tuple]:
    occupied: set[tuple[int, int]] = set()
    commands = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in occupied:
                c += 1
            if cell.rowspan > 1 or cell.colspan > 1:
                commands.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    occupied.add((r + dr, c + dc))
            c += cell.colspan
    return commands


def _widths(name: str, n_cols: int) -> list[float]:
    usable = 170 * _MM
    if name == "table3":
        return [14 * _MM, 24 * _MM, 48 * _MM] + [12 * _MM] * 7
    if name == "table4":
        return [usable / n_cols] * n_cols
    return [60 * _MM] + [(usable - 60 * _MM) / (n_cols - 1)] * (n_cols - 1)


def render_pdf(doc: ReportDoc, embed_font: bool = True) -> tuple[bytes, list[int]]:
    """The report as PDF bytes, and the pages table 三 is printed on.

    ``embed_font``: embed a SimHei subset (as most published PDFs do), else name STSong-Light unembedded.
    """
    font = _setup(embed_font)
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    class Table3(Table):
        """Marks table 三; reportlab builds split parts with ``self.__class__`` so they keep it."""

    table3_pages: list[int] = []

    class Template(SimpleDocTemplate):
        def afterFlowable(self, flowable):
            if isinstance(flowable, Table3) and self.page not in table3_pages:
                table3_pages.append(self.page)

    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=17, wordWrap="CJK", firstLineIndent=21)
    heading = ParagraphStyle("heading", parent=body, firstLineIndent=0, spaceBefore=6)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=24, alignment=1, firstLineIndent=0,
                           spaceAfter=10)
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5, wordWrap="CJK", alignment=1)
    flow = []
    for block in doc.blocks:
        if block.kind == "table":
            rows = block.rows or []
            grid = expand_grid(rows)
            width = max(len(line) for line in grid)
            data = [[Paragraph(text, cell_style) if text else "" for text in line + [""] * (width - len(line))]
                    for line in grid]
            style = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), ("FONT", (0, 0), (-1, -1), font, 7.5),
                                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *_spans(rows)])
            kind = Table3 if block.table == "table3" else Table
            flow.append(kind(data, colWidths=_widths(block.table, width), style=style, repeatRows=0))
            flow.append(Spacer(1, 6))
        elif block.kind == "title":
            flow.append(Paragraph(block.text, title))
        elif block.kind in ("heading", "subhead"):
            flow.append(Paragraph(block.text, heading))
        else:
            flow.append(Paragraph(block.text, body))

    def footer(canvas, _doc):
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 12 * _MM, f"- {canvas.getPageNumber()} -")
        canvas.restoreState()

    out = io.BytesIO()
    template = Template(out, pagesize=A4, leftMargin=20 * _MM, rightMargin=20 * _MM, topMargin=22 * _MM,
                                 bottomMargin=22 * _MM, title=doc.title, author=doc.agency.name,
                                 creator="gdtools synth", producer="gdtools synth")
    template.build(flow, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue(), table3_pages

