"""Plain-text and markdown renderings, including the lossy layouts of DOMAIN.md §7.

Table modes (per table) and what they do to a grid row:

* ``tab`` — one row per line, cells separated by tabs (empty cells kept);
* ``lines_kept`` — one cell per line followed by two empty lines, so an empty cell is three
  empty lines and every cell keeps its slot (a crawler's dump of a web table);
* ``lines_padded`` — one cell per tab-indented line, the row's values packed to the left and
  padded with tab-only lines to the row width, a blank line after each row (a Word table
  dumped as text: the padding looks like kept empty cells, but positions are lost);
* ``lines_dropped`` — one cell per line, empty cells dropped (column positions lost);
* ``space`` — one row per line, non-empty cells separated by a space (PDF text layers);
* ``glued`` — everything run together (``（一）予以公开1000001``);
* ``label_glued`` — first value glued to the label, the rest tab-separated;
* ``pipe`` — a markdown pipe table (spans expanded with empty cells).

``collapse`` joins all lines with nothing (crawler text with its newlines lost).
"""

from __future__ import annotations

from .document import ReportDoc, SBlock, SCell

# How each table mode prints a row, for the truth: positional / dropped / glued.
MODE_KIND = {"tab": "positional", "lines_kept": "positional", "lines_padded": "dropped",
             "lines_dropped": "dropped", "space": "dropped",
             "glued": "glued", "label_glued": "positional", "pipe": "positional"}


def _row_lines(row: list[SCell], mode: str) -> list[str]:
    texts = [c.text for c in row]
    if mode == "tab":
        return ["\t".join(texts)]
    if mode == "lines_kept":
        return [line for t in texts for line in (t, "", "")] + ["", ""]
    if mode == "lines_padded":
        labels = [f"\t{c.text}" for c in row if c.key is None]
        values = [c.text for c in row if c.key is not None]
        packed = [f"\t{t}" for t in values if t]
        return labels + packed + ["\t"] * (len(values) - len(packed)) + [""]
    if mode == "lines_dropped":
        return [t for t in texts if t]
    if mode == "space":
        return [" ".join(t for t in texts if t)]
    if mode == "glued":
        return ["".join(texts)]
    if mode == "label_glued":
        labels = "".join(c.text for c in row if c.key is None)
        values = [c.text for c in row if c.key is not None]
        if not values:
            return [labels]
        return [labels + "\t".join(values)]
    raise ValueError(mode)


def expand_grid(rows: list[list[SCell]]) -> list[list[str]]:
    """The grid with spans expanded: the spanning text in its first cell, empty strings elsewhere."""
    occupied: dict[tuple[int, int], str] = {}
    out: list[list[str]] = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in occupied:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    occupied[(r + dr, c + dc)] = cell.text if dr == dc == 0 else ""
            c += cell.colspan
        width = max((cc for rr, cc in occupied if rr == r), default=-1) + 1
        out.append([occupied.get((r, cc), "") for cc in range(width)])
    return out


def table_lines(rows: list[list[SCell]], mode: str) -> list[str]:
    if mode == "pipe":
        grid = expand_grid(rows)
        width = max(len(r) for r in grid)
        lines = []
        for i, line in enumerate(grid):
            line = line + [""] * (width - len(line))
            lines.append("| " + " | ".join(line) + " |")
            if i == 0:
                lines.append("|" + "---|" * width)
        return lines
    return [line for row in rows for line in _row_lines(row, mode)]


def render_text(doc: ReportDoc, modes: dict[str, str], collapse: bool = False, markdown: bool = False) -> str:
    """The report as text; ``modes`` maps table name to table mode."""
    lines: list[str] = []
    headings = {block.text for block in doc.blocks if block.kind == "heading"}
    for block in doc.blocks:
        lines += _block_lines(block, modes, markdown)
    if collapse:
        # Crawlers often keep one space after a heading; without it a section heading would run
        # straight into the official table header wording.
        return "".join(line.strip("\t") + (" " if line in headings else "") for line in lines) + "\n"
    return "\n".join(lines) + "\n"


def _block_lines(block: SBlock, modes: dict[str, str], markdown: bool) -> list[str]:
    if block.kind == "table":
        lines = table_lines(block.rows or [], modes[block.table])
        return ["", *lines, ""] if markdown else lines
    if markdown and block.kind == "title":
        return [f"# {block.text}", ""]
    if markdown and block.kind == "heading":
        return [f"## {block.text}", ""]
    if markdown:
        return [block.text, ""]
    indent = "\u3000\u3000" if block.kind == "para" else ""
    return [indent + block.text]
