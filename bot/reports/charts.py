"""PNG charts of a contest (and of Q&A activity) drawn headless with matplotlib's Agg.

Labels are Vietnamese, so the font must have every precomposed letter (ế, ự, ờ, Đ …). We use
DejaVu Sans, which matplotlib ships inside its own package (mpl-data/fonts), so no system font
is needed; `tests/test_reports.py` renders Vietnamese and fails on any missing-glyph warning.
Figures are built with the object API (no pyplot): no global state, safe in a running bot.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402 - after choosing the headless backend
from matplotlib.figure import Figure  # noqa: E402

from bot.reports.contest_data import ContestReport  # noqa: E402

FONT = "DejaVu Sans"
TOP_UNITS = 15
DPI = 110
BLUE, ORANGE, GREY, GREEN, RED = "#2f6db5", "#e8892b", "#9aa3ad", "#3a9a5b", "#c8473d"
OTHERS = "Các đơn vị khác"
NO_DATA = "Chưa có dữ liệu"


@dataclass(frozen=True)
class UnitBar:
    label: str
    participants: int
    average: float


def unit_bars(report: ContestReport, top: int = TOP_UNITS) -> list[UnitBar]:
    """Units with participants, most first; past `top`, one "others" bar (average weighted by people)."""
    shown = sorted((u for u in report.overall.units if u.participants),
                   key=lambda u: (-u.participants, -u.average, u.unit_id))
    bars = [UnitBar(report.unit_name(u.unit_id), u.participants, u.average) for u in shown[:top]]
    rest = shown[top:]
    if rest:
        people = sum(u.participants for u in rest)
        average = sum(u.average * u.participants for u in rest) / people
        bars.append(UnitBar(f"{OTHERS} ({len(rest)})", people, round(average, 2)))
    return bars


def score_counts(report: ContestReport) -> tuple[list[int], list[int]]:
    """Scores 0..N and how many people's counted attempt got each."""
    n = max([report.contest.spec.questions] + [r.entry.n_questions for r in report.overall.ranking])
    counts = Counter(r.entry.score for r in report.overall.ranking)
    scores = list(range(0, n + 1))
    return scores, [counts[s] for s in scores]


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _style() -> Any:  # matplotlib types rc keys as a Literal union
    return {"font.family": [FONT], "font.size": 9, "axes.titlesize": 10, "axes.spines.top": False,
            "axes.spines.right": False}


def _no_data(ax: Axes) -> None:
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def draw_unit_bars(ax_people: Axes, ax_avg: Axes, bars: Sequence[UnitBar], n_questions: int) -> None:
    ax_people.set_title("Số người dự thi theo đơn vị")
    ax_avg.set_title(f"Điểm trung bình (trên {n_questions})")
    if not bars:
        _no_data(ax_people)
        _no_data(ax_avg)
        return
    labels = [_short(b.label) for b in bars][::-1]
    people = [b.participants for b in bars][::-1]
    averages = [b.average for b in bars][::-1]
    colours = [GREY if b.label.startswith(OTHERS) else BLUE for b in bars][::-1]
    ax_people.barh(labels, people, color=colours)
    ax_avg.barh(labels, averages, color=[GREY if c == GREY else ORANGE for c in colours])
    ax_avg.set_xlim(0, max(n_questions, max(averages, default=0)))
    ax_avg.tick_params(axis="y", labelleft=False)
    for ax, values, fmt in ((ax_people, people, "{:d}"), (ax_avg, averages, "{:.2f}")):
        for y, value in enumerate(values):
            ax.text(value, y, " " + fmt.format(value), va="center", fontsize=8)


def draw_scores(ax: Axes, scores: list[int], counts: list[int]) -> None:
    ax.set_title("Phân bố điểm (lượt được tính của mỗi người)")
    if not any(counts):
        _no_data(ax)
        return
    ax.bar(scores, counts, color=GREEN)
    ax.set_xlabel("Điểm")
    ax.set_ylabel("Số người")
    ax.set_xticks(scores if len(scores) <= 31 else scores[:: max(1, len(scores) // 15)])


def draw_participation(ax: Axes, report: ContestReport) -> None:
    ax.set_title("Tham gia theo ngày")
    if not report.days:
        _no_data(ax)
        return
    labels = [d.day.strftime("%d/%m") for d in report.days]
    x = list(range(len(labels)))
    ax.bar(x, [d.attempts for d in report.days], color=BLUE, label="Bài nộp trong ngày")
    ax.set_ylabel("Số bài nộp")
    step = max(1, len(labels) // 12)
    ax.set_xticks(x[::step], labels[::step], rotation=45 if len(labels) > 7 else 0)
    twin = ax.twinx()
    twin.plot(x, [d.people_so_far for d in report.days], color=RED, marker="o", markersize=3,
              label="Lũy kế người dự thi")
    twin.set_ylabel("Lũy kế người dự thi")
    twin.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles, [str(h.get_label()) for h in handles], loc="upper center", bbox_to_anchor=(0.5, -0.18),
              ncol=2, fontsize=8, frameon=False)


def units_png(report: ContestReport) -> bytes:
    """Participants and average score by unit: the top 15 and "others"."""
    bars = unit_bars(report)
    with matplotlib.rc_context(_style()):
        fig = _figure(10, 1.6 + 0.32 * max(3, len(bars)))
        ax_people, ax_avg = fig.subplots(1, 2, sharey=True)
        draw_unit_bars(ax_people, ax_avg, bars, report.contest.spec.questions)
        fig.suptitle(report.contest.spec.title)
        return _png(fig)


def scores_png(report: ContestReport) -> bytes:
    """How many people got each score."""
    with matplotlib.rc_context(_style()):
        fig = _figure(7, 3.6)
        draw_scores(fig.subplots(), *score_counts(report))
        return _png(fig)


def participation_png(report: ContestReport) -> bytes:
    """Attempts submitted per day, and people taking part so far."""
    with matplotlib.rc_context(_style()):
        fig = _figure(7, 3.6)
        draw_participation(fig.subplots(), report)
        return _png(fig)


def overview_png(report: ContestReport) -> bytes:
    """The three charts on one image, for the chat and `contest results --chart`."""
    bars = unit_bars(report)
    with matplotlib.rc_context(_style()):
        fig = _figure(11, 4.4 + 0.3 * max(3, len(bars)))
        grid = fig.add_gridspec(2, 2, height_ratios=[max(3, len(bars)) * 0.3 + 1, 3.2])
        ax_people = fig.add_subplot(grid[0, 0])
        ax_avg = fig.add_subplot(grid[0, 1], sharey=ax_people)
        draw_unit_bars(ax_people, ax_avg, bars, report.contest.spec.questions)
        draw_scores(fig.add_subplot(grid[1, 0]), *score_counts(report))
        draw_participation(fig.add_subplot(grid[1, 1]), report)
        fig.suptitle(f"{report.contest.spec.title} ({report.contest.code}) — "
                     f"{len(report.overall.ranking)} người dự thi")
        return _png(fig)


def qa_months_png(months: Sequence[tuple[str, int, int, int]]) -> bytes:
    """Questions per month, stacked: answered, suggested (did you mean), not answered."""
    with matplotlib.rc_context(_style()):
        fig = _figure(7, 3.6)
        ax = fig.subplots()
        ax.set_title("Câu hỏi theo tháng")
        if not months:
            _no_data(ax)
            return _png(fig)
        x = list(range(len(months)))
        answered = [m[1] for m in months]
        suggested = [m[2] for m in months]
        unanswered = [m[3] for m in months]
        ax.bar(x, answered, color=GREEN, label="Trả lời được")
        ax.bar(x, suggested, bottom=answered, color=ORANGE, label="Gợi ý câu gần đúng")
        ax.bar(x, unanswered, bottom=[a + s for a, s in zip(answered, suggested, strict=True)], color=GREY,
               label="Chưa trả lời được")
        ax.set_xticks(x, [m[0] for m in months])
        ax.set_ylabel("Số câu hỏi")
        ax.legend(fontsize=8, frameon=False)
        return _png(fig)


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
