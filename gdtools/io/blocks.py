"""Assemble a document's blocks into one text with offsets.

Loaders that see structure (HTML, DOCX, PDF) produce blocks without offsets; this module
lays them out in reading order as ``Report.text`` (paragraphs one per line, table rows
one per line with cells separated by tabs) and sets each block's ``start``/``end``.
"""

from __future__ import annotations

import re

from ..model import Block, Cell

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2002\u2003\u2009\u200b\ufeff]+")
# every character clean_cell may change (each of _SPACE, and all that split/strip act on, is one)
UNCLEAN = re.compile(r"[\s\u200b\ufeff]")


def clean_cell(text: str) -> str:
    """Cell text on one line: ``&nbsp;`` and runs of spaces collapsed, line breaks inside the cell dropped."""
    if not UNCLEAN.search(text):
        return text
    text = _SPACE.sub(" ", text.replace("\u00a0", " "))
    parts = [p.strip() for p in text.split("\n")]
    return "".join(p for p in parts if p).strip()


def table_text(rows: list[list[Cell]]) -> str:
    """The plain text of a grid: one line per row, cells separated by a tab."""
    return "\n".join("\t".join(cell.text for cell in row) for row in rows)


def assemble(blocks: list[Block]) -> tuple[str, list[Block]]:
    """Join blocks into one text (blank line-free, ``\\n`` between blocks) and set offsets."""
    parts: list[str] = []
    out: list[Block] = []
    pos = 0
    for block in blocks:
        text = table_text(block.rows) if block.kind == "table" and block.rows is not None else block.text
        if not text.strip():
            continue
        block.text = text
        block.start = pos
        block.end = pos + len(text)
        parts.append(text)
        out.append(block)
        pos = block.end + 1
    return "\n".join(parts), out
