"""Chinese plot labels render without missing-glyph warnings in every output format."""

from __future__ import annotations

import io
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402

from gdtools.fonts import bundled_font_file, use_cjk_font  # noqa: E402

LABELS = ["自然人", "法人或其他组织", "不予公开", "复议·诉讼"]


def _render(fmt: str) -> tuple[bytes, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.bar(LABELS, [3, 1, -2, 0])
        ax.set_title("政府信息公开申请办理结果")
        ax.set_xlabel("申请人类型")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt)
        plt.close(fig)
    return buffer.getvalue(), [str(w.message) for w in caught]


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_chinese_renders_without_missing_glyphs(fmt):
    with matplotlib.rc_context():
        family = use_cjk_font()
        assert matplotlib.rcParams["font.sans-serif"][0] == family
        data, messages = _render(fmt)
    assert data  # something was written
    assert [m for m in messages if "missing" in m.lower() or "glyph" in m.lower()] == []


def test_without_the_cjk_font_glyphs_are_missing():
    # The control: proves the capture above would see the warnings it asserts absent.
    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        _, messages = _render("png")
    assert any("missing" in m.lower() for m in messages)


def test_bundled_font_is_registered_when_system_fonts_are_skipped():
    path = bundled_font_file()
    assert path is not None and path.is_file()
    with matplotlib.rc_context():
        family = use_cjk_font(prefer_system=False)
        from matplotlib import font_manager

        assert family in {entry.name for entry in font_manager.fontManager.ttflist}
        assert "CJK" in family or "Hei" in family or "Han" in family
        # idempotent: a second call neither fails nor duplicates the family in the list
        use_cjk_font(prefer_system=False)
        assert matplotlib.rcParams["font.sans-serif"].count(family) == 1
