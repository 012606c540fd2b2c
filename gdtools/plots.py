"""Small chart and display helpers for the notebooks (Chinese labels, empty selections handled).

Every function takes a frame from :mod:`gdtools.analysis` and returns the matplotlib
Figure, or None — after displaying a Chinese note — when there is nothing to draw, so
a notebook run on a narrow selection never fails on an empty plot.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .fonts import use_cjk_font

EMPTY_NOTE = "（所选范围内没有可用的数据，此处从略。）"


def note(text: str) -> None:
    """Display ``text`` as Markdown in a notebook (plain text elsewhere)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def show(frame: pd.DataFrame, empty: str = EMPTY_NOTE, *, rows: int = 30) -> None:
    """Display the first ``rows`` rows of ``frame``, or the note ``empty`` when it has no rows."""
    from IPython.display import display

    if frame is None or frame.empty:
        note(empty)
    else:
        display(frame.head(rows))


def _figure(width: float = 7.0, height: float = 3.6):
    from matplotlib import pyplot as plt

    use_cjk_font()
    return plt.subplots(figsize=(width, height), layout="constrained")


def bars(frame: pd.DataFrame, x: str, y: str | Sequence[str], *, title: str, ylabel: str = "",
         percent: bool = False, stacked: bool = False, empty: str = EMPTY_NOTE, horizontal: bool = False):
    """Grouped (or stacked) bars of column(s) ``y`` against ``x``; None and a note when empty."""
    ys = [y] if isinstance(y, str) else list(y)
    data = frame.dropna(subset=ys, how="all") if frame is not None and not frame.empty else None
    if data is None or data.empty:
        note(empty)
        return None
    plot_frame = data.assign(**{x: data[x].astype(str)}).set_index(x)[ys].astype(float)
    if percent:
        plot_frame = plot_frame * 100
    fig, ax = _figure(height=max(3.0, 0.35 * len(plot_frame)) if horizontal else 3.6)
    plot_frame.plot(kind="barh" if horizontal else "bar", stacked=stacked, ax=ax, legend=len(ys) > 1,
                    rot=0 if horizontal or len(plot_frame) < 8 else 45)
    ax.set_title(title)
    label = ylabel + ("（%）" if percent else "")
    (ax.set_xlabel if horizontal else ax.set_ylabel)(label)
    (ax.set_ylabel if horizontal else ax.set_xlabel)("")
    if len(ys) > 1:
        ax.legend(fontsize="small", ncols=min(3, len(ys)))
    return fig


def lines(frame: pd.DataFrame, x: str, y: str, *, hue: str | None = None, title: str, ylabel: str = "",
          percent: bool = False, empty: str = EMPTY_NOTE):
    """One line of ``y`` over ``x`` per value of ``hue``; None and a note when empty."""
    data = frame.dropna(subset=[y]) if frame is not None and not frame.empty else None
    if data is None or data.empty:
        note(empty)
        return None
    fig, ax = _figure()
    groups = data.groupby(hue) if hue else [("", data)]
    for name, group in groups:
        group = group.sort_values(x)
        values = group[y].astype(float) * (100 if percent else 1)
        ax.plot(group[x].astype(int) if x == "year" else group[x], values, marker="o", label=str(name))
    ax.set_title(title)
    ax.set_ylabel(ylabel + ("（%）" if percent else ""))
    if x == "year":
        ax.xaxis.get_major_locator().set_params(integer=True)
    if hue:
        ax.legend(fontsize="small")
    return fig


def heatmap(frame: pd.DataFrame, index: str, columns: str, values: str, *, title: str,
            percent: bool = False, empty: str = EMPTY_NOTE):
    """A labelled grid of ``values`` (rows ``index`` × columns ``columns``); None and a note when empty."""
    if frame is None or frame.empty:
        note(empty)
        return None
    grid = frame.pivot_table(index=index, columns=columns, values=values, aggfunc="first")
    grid = grid.astype(float) * (100 if percent else 1)
    fig, ax = _figure(width=max(5.0, 0.8 * grid.shape[1] + 2.5), height=max(2.5, 0.35 * grid.shape[0] + 1.2))
    image = ax.imshow(grid.to_numpy(), aspect="auto", cmap="Blues")
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(r) for r in grid.index])
    cells = grid.to_numpy()
    dark = image.norm(cells) > 0.6
    for i in range(cells.shape[0]):
        for j in range(cells.shape[1]):
            if cells[i, j] == cells[i, j]:  # NaN (no figure) stays unlabelled
                ax.text(j, i, f"{cells[i, j]:.0f}", ha="center", va="center", fontsize="x-small",
                        color="white" if dark[i, j] else "black")
    fig.colorbar(image, ax=ax, label="%" if percent else "")
    ax.set_title(title)
    return fig
