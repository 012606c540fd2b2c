"""A full web page: site chrome (nav, breadcrumbs, footer) around the article."""

from __future__ import annotations

import html

from .document import ReportDoc, SCell, phrases

_FULLWIDTH = str.maketrans("0123456789.-+", "０１２３４５６７８９．－＋")


def cell_text(cell: SCell, habits: dict) -> str:
    """A value cell as this site prints it (full-width digits, dashes for blanks, 无 for zero)."""
    text = cell.text
    if cell.key is None:
        return html.escape(text)
    if text == "":
        return {"nbsp": "&nbsp;", "dash": "—", "slash": "/", "empty": ""}[habits["html_blank"]]
    if habits["html_wu"] and text == "0" and cell.key[0] == "table2":
        return "无"
    if habits["html_fullwidth"]:
        text = text.translate(_FULLWIDTH)
    return html.escape(text)


def _table(rows: list[list[SCell]], habits: dict) -> str:
    out = ['<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="100%"><tbody>']
    for row in rows:
        out.append("<tr>")
        for cell in row:
            attrs = ""
            if cell.rowspan > 1:
                attrs += f' rowspan="{cell.rowspan}"'
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            out.append(f'<td{attrs} valign="center"><p align="center">{cell_text(cell, habits)}</p></td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(doc: ReportDoc) -> str:
    """The report as an HTML page of the agency's (fictional) website."""
    ph, agency, habits = phrases(), doc.agency, doc.agency.habits
    year = doc.figures.year
    nav = "".join(f'<li><a href="/{i}/">{html.escape(item)}</a></li>' for i, item in enumerate(ph["html_nav"]))
    body = []
    for block in doc.blocks:
        if block.kind == "title":
            continue
        if block.kind == "table":
            body.append(_table(block.rows or [], habits))
        elif block.kind == "heading":
            body.append(f"<p><strong>{html.escape(block.text)}</strong></p>")
        elif block.section == "end":
            body.append(f'<p style="text-align: right;">{html.escape(block.text)}</p>')
        else:
            body.append(f'<p style="text-indent: 2em;">{html.escape(block.text)}</p>')
    footer = ph["html_footer"][len(agency.name) % 2].format(
        agency=agency.name, code=f"{abs(hash_text(agency.slug)) % 10**10:010d}", province=agency.region,
        city=agency.city, street=ph["streets"][len(agency.slug) % len(ph["streets"])],
        phone=f"0{len(agency.slug) % 9 + 1}{len(agency.name):02d}-6{year % 100:02d}8{len(agency.slug):03d}")
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{html.escape(doc.title)}_{html.escape(agency.name)}</title>
<meta name="ArticleTitle" content="{html.escape(doc.title)}">
<meta name="PubDate" content="{year + 1}-01-{(len(agency.slug) % 27) + 1:02d}">
<link rel="stylesheet" href="/css/site.css">
</head>
<body>
<div class="top"><div class="logo">{html.escape(agency.name)}</div>
<div class="search"><input type="text" placeholder="请输入关键词"><button>搜索</button></div></div>
<div class="nav"><ul>{nav}</ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/ndbg/">政府信息公开年报</a></div>
<div class="article">
<h1 class="title">{html.escape(doc.title)}</h1>
<div class="info"><span>来源：{html.escape(agency.name)}</span><span>发布时间：{year + 1}-01-{(len(agency.slug) % 27) + 1:02d}</span><span>字号：[大 中 小]</span></div>
<div class="content" id="zoom">
{chr(10).join(body)}
</div>
<div class="tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
</div>
<div class="related"><h3>相关链接</h3><ul><li><a href="#">政府信息公开指南</a></li><li><a href="#">政府信息公开制度</a></li></ul></div>
<div class="footer"><p>{html.escape(footer)}</p><p>备案序号：澄ICP备{len(agency.slug):04d}号</p></div>
</body>
</html>
"""


def hash_text(text: str) -> int:
    """A stable small hash (Python's ``hash`` is salted per process)."""
    value = 0
    for ch in text:
        value = (value * 131 + ord(ch)) % 2**40
    return value
