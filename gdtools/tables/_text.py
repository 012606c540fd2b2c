"""From a report's text to label anchors and the raw value tokens that follow each label.

Real reports lose table structure in several ways (DOMAIN.md §7): cells one per line with
blank cells kept as empty lines or dropped, all cells of a row glued together, numbers
glued to labels, labels broken across lines and pages. This module only *reads*: it finds
where each row label is and what was printed between it and the next label, and keeps the
layout evidence (explicit cells, one value per line with gap counts, or inline chunks)
for the decoders in :mod:`gdtools.tables._readings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..model import Report

# fullwidth digits and signs -> ASCII (one character each; no target is a source)
_FULLWIDTH = tuple(zip("０１２３４５６７８９．＋－／｜\u3000", "0123456789.+-/| ", strict=True))
_CJK = r"\u3400-\u9fff\uff08\uff09\u3001\u201c\u201d\u300a\u300b\uff0c\uff1a\uff1b\u3002"
# whitespace (incl. line breaks) between two CJK characters: labels broken across lines or pages.
# Written to start with the whitespace (the CJK character before it checked by a lookbehind
# over both) so that the regex engine can skip ahead to whitespace: several times fewer steps.
_WS = r"[ \t\r\n\u00a0]"
_CJK_GAP = re.compile(rf"{_WS}(?<=[{_CJK}]{_WS}){_WS}*(?=[{_CJK}])")
_PAGE_NUMBER = re.compile(r"(?m)^[ \t]*(?:[-—–]\s*\d{1,3}\s*[-—–]|第\s*\d{1,3}\s*页(?:\s*共\s*\d{1,3}\s*页)?)[ \t]*$\n?")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
BLANK_MARKS = {"", "-", "—", "——", "–", "/", "\\", "无", "－", "／", "…", "*"}
# characters that may appear inside the printed values of a row
_VALUE_CHARS = re.compile(r"[0-9.+\-—–/\\*|\s增减元万件项个%]*")
# a tab-separated cell holding a value
_VALUE_CELL = re.compile(r"[0-9.+\-增减元万件项个%\s]+")


def grid_text(rows) -> str:
    """A table grid as Markdown-like pipe rows (one line per grid row, blank cells kept)."""
    lines = []
    for row in rows:
        cells = [" ".join(cell.text.split()) for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def prepare_text(report: Report) -> str:
    """The report text with table grids written as pipe rows and layout noise removed.

    Grids (HTML, DOCX, PDF tables, Markdown pipes) keep their explicit cells; page numbers
    are dropped; breaks between two CJK characters are joined so that a label split over
    lines (``不予\\n公开``) is found again. Whitespace next to digits is kept: it is the
    only evidence of where one printed cell ends.
    """
    text = report.text
    tables = sorted((b for b in report.blocks if b.kind == "table" and b.rows and b.end > b.start),
                    key=lambda b: b.start)
    if tables:
        parts, pos = [], 0
        for block in tables:
            if block.start < pos:
                continue
            parts.append(text[pos:block.start])
            parts.append(grid_text(block.rows))
            pos = block.end
        parts.append(text[pos:])
        text = "".join(parts)
    for wide, narrow in _FULLWIDTH:   # str.replace is much faster than translate on CJK text
        if wide in text:
            text = text.replace(wide, narrow)
    if "---" in text:  # a Markdown rule line needs three dashes
        text = "\n".join(line for line in text.split("\n") if not _PIPE_RULE.match(line) or "|" not in line
                         or re.sub(r"[\s|:\-]", "", line))
    text = _PAGE_NUMBER.sub("", text)
    return _CJK_GAP.sub("", text)


@dataclass(slots=True)
class Token:
    """One printed value (or digit run that may hold several values)."""

    text: str
    line: int  # number of line breaks before it, counted from the anchor end
    empties: int = 0  # empty lines between this token and the previous one (or the anchor)
    glued: bool = False  # printed on the label's own line, directly after it


@dataclass(slots=True)
class RowText:
    """What was printed after one row label: layout mode plus tokens."""

    mode: str  # "cells" (explicit grid cells), "lines" (one value per line), "inline"
    tokens: list[Token] = field(default_factory=list)
    raw: str = ""
    orphan: bool = False  # label outside a grid whose values sit in an unlabeled grid row
    tail: int | None = None  # empty lines after the last value (one-per-line dumps)


def value_prefix(region: str) -> str:
    """The leading part of ``region`` that can hold printed values (stops at the next word).

    A standalone ``无`` is a printed blank; ``无`` followed by more text is prose.
    """
    out = []
    i = 0
    while i < len(region):
        m = _VALUE_CHARS.match(region, i)
        end = m.end() if m else i
        out.append(region[i:end])
        i = end
        if i < len(region) and region[i] == "无" and (i + 1 == len(region) or region[i + 1] in " \t\r\n|"):
            out.append("无")
            i += 1
            continue
        break
    return "".join(out)


def tokenize(region: str, anchor_in_grid: bool) -> RowText:
    """Split what follows a label into tokens, keeping the layout evidence."""
    if anchor_in_grid:
        cells, raw = grid_cells(region.split("\n", 1)[0])
        return RowText("cells", [Token(c, 0) for c in cells], raw=raw)
    first_line = region.split("\n", 1)[0]
    if first_line.count("\t") >= 2:
        # tab-separated cells on the label's line keep their empty cells
        fields = first_line.split("\t")
        # the first field is the rest of the label: a number there is the first cell,
        # glued to the label when the separator was lost
        if not fields[0].strip() or not _is_value_cell(fields[0]):
            fields = fields[1:]
        if any(f.strip() for f in fields) and all(_is_value_cell(f) for f in fields):
            return RowText("cells", [Token(f.strip(), 0) for f in fields], raw=first_line.strip())
    prefix = value_prefix(region)
    if "|" in prefix:
        # values only in a grid row without its label: position not trustworthy
        before = prefix.split("|", 1)[0]
        toks = _chunks(before)
        return RowText("inline", toks, raw=before.strip(), orphan=not toks)
    toks = _line_tokens(prefix)
    later = [t.line for t in toks if t.line > 0]
    first_line = [t for t in toks if t.line == 0]
    if later and len(set(later)) == len(later) and len(first_line) <= 1:
        for t in first_line:
            t.glued = True
        after_last = prefix.count("\n") - toks[-1].line  # lines after the last value's
        tail = max(0, after_last - 1) if after_last else None
        return RowText("lines", toks, raw=" ".join(prefix.split()), tail=tail)
    chunks = _chunks(prefix)
    # a row printing nothing: how many empty lines stand for its blank cells
    tail = max(0, prefix.count("\n") - 1) if not chunks else None
    return RowText("inline", chunks, raw=" ".join(prefix.split()), tail=tail)


@lru_cache(maxsize=4096)
def grid_cells(line: str) -> tuple[tuple[str, ...], str]:
    """The cells of a grid line after its label cell, stripped, and the line stripped (immutable,
    cached: the same value rows recur across reports)."""
    # the first piece is the rest of the label cell (a number glued to a label inside
    # its own cell is not a cell of the grid)
    cells = line.split("|")[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return tuple(c.strip() for c in cells), line.strip()


def _is_value_cell(text: str) -> bool:
    t = text.strip()
    return t in BLANK_MARKS or bool(_VALUE_CELL.fullmatch(t))


def _chunks(text: str) -> list[Token]:
    return [Token(c, 0) for c in text.split()]


def _line_tokens(prefix: str) -> list[Token]:
    tokens: list[Token] = []
    empties = 0
    for number, line in enumerate(prefix.split("\n")):
        parts = line.split()
        if not parts:
            if number > 0:
                empties += 1
            continue
        tokens.append(Token(parts[0], number, empties))
        for part in parts[1:]:
            tokens.append(Token(part, number))
        empties = 0
    # the whitespace before the first line break of the prefix is part of the label line
    return tokens
