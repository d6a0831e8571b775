"""监察 and leaders: the subtree's supervision cards with filters, and statistics with charts.

The figures are StatsService.report's — the same as `wuji stats` prints — drawn as server-side SVG
(no chart library, nothing to build).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from starlette.responses import Response
from starlette.routing import Route

from node.cases.states import State
from node.staff.roles import Duty
from node.supervision.period import Period, last_month, parse_period
from node.supervision.stats import rate_of, shown_rate
from node.timeutil import from_timestamp, shanghai
from node.web.auth import Visit, page
from node.workdays import SOURCE_WORDS, china_date, year_summary
from wuji.v1 import case_pb2, desk_pb2

if TYPE_CHECKING:
    from node.runtime.node import Node

WEEKS = 8
COLOURS = {"yellow": "黄牌（预警）", "red": "红牌（超期）"}


def line_chart(labels: Sequence[str], series: dict[str, Sequence[float | None]], title: str) -> str:
    """Rates (0 … 1) over time as lines with a legend; plain SVG. None: no figure that period."""
    width, height, left, bottom, top = 560, 220, 44, 30, 24
    plot_w, plot_h = width - left - 12, height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)
    palette = ("#1f6feb", "#d97706", "#15803d")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart">'
    ]
    for tick in (0, 0.5, 1):
        y = top + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 12}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick:.0%}</text>'
        )
    for index, label in enumerate(labels):
        x = left + index * step
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" font-size="10">{escape(label)}</text>'
        )
    for number, (name, values) in enumerate(series.items()):
        colour = palette[number % len(palette)]
        points = [
            (left + i * step, top + plot_h * (1 - max(0.0, min(1.0, v))))
            for i, v in enumerate(values)
            if v is not None
        ]
        run: list[str] = []  # a week without a conclusion breaks the line: no rate, not a rate of 0
        for i, value in enumerate([*values, None]):
            if value is not None:
                run.append(f"{left + i * step:.1f},{top + plot_h * (1 - max(0.0, min(1.0, value))):.1f}")
            elif run:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>'
                )
                run = []
        parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points)
        legend_x = left + 8 + number * 130
        parts.append(f'<text x="{legend_x}" y="14" font-size="12" fill="{colour}">■ {escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    bars: Sequence[tuple[str, float | None]], title: str, percent: bool = False, full: float | None = None
) -> str:
    """Horizontal bars, one per label, with the value written beside each; a value of None (no
    rate: nothing counted it could be a share of) has no bar and reads —. A bar's full width is
    `full` where the scale has one (100% for a rate, 5 for a 满意度): drawn against the largest
    value instead, a rate of 40% or a 满意度 of 2.00 alone filled the width as if it were the best."""
    width, row, left = 560, 24, 130
    height = row * max(len(bars), 1) + 10
    largest = (1.0 if percent else full) or max((v for _, v in bars if v is not None), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart">'
    ]
    for index, (label, value) in enumerate(bars):
        y = 5 + index * row
        length = (width - left - 60) * (value or 0) / largest
        if value is None:
            shown = "—"
        else:
            shown = f"{value:.1%}" if percent else (f"{value:.2f}" if value % 1 else f"{value:.0f}")
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(label)}</text>'
        )
        if value is not None:
            bar = f'x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}"'
            parts.append(f'<rect {bar} fill="#1f6feb"/>')
        parts.append(f'<text x="{left + length + 6:.1f}" y="{y + 15}" font-size="12">{shown}</text>')
    parts.append("</svg>")
    return "".join(parts)


CSV_COLUMNS = ("牌", "办件", "事项", "办理机构", "部门", "责任人", "期限", "说明", "亮牌时间", "关闭时间")


def card_items(node: Node, cards: Sequence[case_pb2.SupervisionCard]) -> dict[str, str]:
    """Each card's item by case id: from the case where it is held here, else as the card names it
    (above the handler no copy of the case is held)."""
    named = {card.case_id: card.item_name for card in cards}
    return {**{case_id: item for case_id, item in named.items() if item}, **node.cases.items_of(named)}


def cards_csv(node: Node, cards: Sequence[case_pb2.SupervisionCard]) -> bytes:
    """The card list as the page filters it, for a spreadsheet (the monthly meeting's table): UTF-8
    with a byte order mark, which Excel needs to read Chinese; times in Beijing time."""
    items = card_items(node, cards)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for c in cards:
        writer.writerow(
            (
                COLOURS.get(c.colour, c.colour),
                c.case_id,
                items.get(c.case_id, ""),
                node.names.place(c.handler),
                c.department,
                c.person,
                c.deadline,
                c.detail,
                shanghai(from_timestamp(c.raised_at)),
                shanghai(from_timestamp(c.closed_at)) if c.closed_at.seconds else "",
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# the figures table's rows: (what the meeting reads, a count's key or a rate's field)
STATS_COUNTS = (
    ("办件数", "cases"),
    ("办结数", "concluded"),
    ("差评", "bad_ratings"),
    ("已整改", "rectified"),
    ("黄牌", "cards:yellow"),
    ("红牌", "cards:red"),
)
STATS_RATES = (
    ("按时办结率", "on_time_rate"),
    ("提前办结率", "early_rate"),
    ("满意率", "satisfied_rate"),
    ("满意度（1–5）", "satisfaction"),
    ("网办率", "online_rate"),
    ("差评整改率", "rectification_rate"),
)


def _figure_cells(figures: desk_pb2.Figures) -> list[str]:
    counts = [str(figures.counts.get(key, 0)) for _, key in STATS_COUNTS]
    return counts + [shown_rate(figures, field) for _, field in STATS_RATES]


def stats_csv(node: Node, report: desk_pb2.StatsReport, period: Period) -> bytes:
    """The figures of /stats for the month-end 通报's spreadsheet: the node's own and its subtree's,
    then one row per department (its own cases) and per child node (its subtree); UTF-8 with a
    byte order mark for Excel, rates as the page shows them."""
    out = io.StringIO()
    writer = csv.writer(out)
    name = node.config.name or node.here.value
    writer.writerow((f"{name} 统计", f"申请日期：{period.words or '不限（全部办件）'}"))
    writer.writerow(("范围", *(label for label, _ in STATS_COUNTS), *(label for label, _ in STATS_RATES)))
    writer.writerow(("本级", *_figure_cells(report.own)))
    writer.writerow(("本级及下级", *_figure_cells(report.subtree)))
    for row in report.by_department:
        writer.writerow((f"部门：{row.key}", *_figure_cells(row.figures)))
    for row in report.by_child:
        writer.writerow((f"下级：{node.names.place(row.key)}", *_figure_cells(row.figures)))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


def routes(render: Callable[..., Response]) -> list[Route]:
    def filtered(visit: Visit) -> tuple[list[case_pb2.SupervisionCard], dict[str, Any]]:
        """The cards the filters ask for, and the filters as the form shows them (with the offices
        and departments to choose from: an officer knows 沅江市 and 民政局, not the code to type or
        the department's exact name)."""
        node: Node = visit.request.app.state.node
        params = visit.request.query_params
        subtree, colour = params.get("subtree", "").strip(), params.get("colour", "")
        department = params.get("department", "").strip()
        raised_from, raised_to = params.get("from", "").strip(), params.get("to", "").strip()
        found = node.supervision.cards(
            subtree, include_closed=bool(params.get("closed")), raised=parse_period(raised_from, raised_to)
        )
        shown = [
            card
            for card in found
            if (not colour or card.colour == colour) and (not department or card.department == department)
        ]
        asked = {
            "subtree": subtree,
            "colour": colour,
            "department": department,
            "closed": bool(params.get("closed")),
            "from_day": raised_from,
            "to_day": raised_to,
            "offices": {
                code: name
                for code, name in sorted(node.names.below(node.here).items())
                if code != node.here.value
            },
            "departments": sorted({card.department for card in found if card.department}),
        }
        return shown, asked

    @page(Duty.SUPERVISE)
    def cards_download(visit: Visit) -> Response:
        node: Node = visit.request.app.state.node
        shown, asked = filtered(visit)
        # named by the period asked (the meeting's month), else by the day it was taken
        period = parse_period(asked["from_day"], asked["to_day"]).words
        name = f"电子监察-{period or china_date(node.clock.now()).isoformat()}.csv"
        return Response(
            cards_csv(node, shown),
            media_type="text/csv; charset=utf-8",
            headers=_attachment(name),
        )

    @page(Duty.SUPERVISE)
    def stats_download(visit: Visit) -> Response:
        node: Node = visit.request.app.state.node
        params = visit.request.query_params
        from_day, to_day = params.get("from", "").strip(), params.get("to", "").strip()
        period = parse_period(from_day, to_day)
        report = node.stats.report(from_day, to_day)
        name = f"统计-{period.words or china_date(node.clock.now()).isoformat()}.csv"
        return Response(
            stats_csv(node, report, period), media_type="text/csv; charset=utf-8", headers=_attachment(name)
        )

    @page(Duty.SUPERVISE)
    def cards(visit: Visit) -> Response:
        node: Node = visit.request.app.state.node
        shown, asked = filtered(visit)
        return render(
            visit,
            "supervision.html",
            cards=shown,
            tally=Counter(card.colour for card in shown),
            still_open=sum(1 for card in shown if not card.closed_at.seconds),
            held=node.cases.items_of(card.case_id for card in shown),  # the cases held here open
            items=card_items(node, shown),
            colours=COLOURS,
            download=f"/supervision.csv?{visit.request.url.query}",
            last_month=last_month(china_date(node.clock.now())),
            **asked,
        )

    @page(Duty.SUPERVISE)
    def stats(visit: Visit) -> Response:
        node: Node = visit.request.app.state.node
        params = visit.request.query_params
        report = node.stats.report(params.get("from", ""), params.get("to", ""))
        today = china_date(node.clock.now())
        # the weeks end with the filter's last day when one is asked: a director looking back at
        # October saw the last eight weeks up to today beside October's figures
        last = date.fromisoformat(params["to"].strip()) if params.get("to", "").strip() else today
        monday = last - timedelta(days=last.weekday())
        weeks = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
        weekly = [_week(node, start) for start in weeks]
        over_time = line_chart(
            [f"{start:%m-%d}" for start in weeks],
            {
                "按时办结率": [rate_of(f, "on_time_rate") for f in weekly],
                "提前办结率": [rate_of(f, "early_rate") for f in weekly],
            },
            f"按时办结率与提前办结率（按周，截至 {last:%Y-%m-%d} 所在周）",
        )
        figures = report.subtree
        by_state = bar_chart(
            [(state.label, float(figures.counts.get(f"state:{state.value}", 0))) for state in State],
            "各状态办件数",
        )
        rates = bar_chart(
            [
                ("按时办结率", rate_of(figures, "on_time_rate")),
                ("提前办结率", rate_of(figures, "early_rate")),
                ("网办率", rate_of(figures, "online_rate")),
                ("差评整改率", rate_of(figures, "rectification_rate")),
            ],
            "比率",
            percent=True,
        )
        by_department = bar_chart(
            [(row.key, float(row.figures.counts.get("cases", 0))) for row in report.by_department],
            "各部门办件数（本级）",
        )
        satisfaction = bar_chart(
            [("本级及下级", rate_of(figures, "satisfaction"))]
            + [(row.key, rate_of(row.figures, "satisfaction")) for row in report.by_department],
            "满意度（1–5）",
            full=5,
        )
        return render(
            visit,
            "stats.html",
            by_department=by_department,
            satisfaction=satisfaction,
            report=report,
            over_time=over_time,
            weeks_end=last,
            by_state=by_state,
            rates=rates,
            states=list(State),
            from_day=params.get("from", ""),
            to_day=params.get("to", ""),
            last_month=last_month(today),
            download=f"/stats.csv?{visit.request.url.query}",
            as_of={child: shanghai(moment) for child, moment in node.stats.rollups_as_of().items()},
            calendars=[year_summary(today.year), year_summary(today.year + 1)],
            source_words=SOURCE_WORDS,
        )

    return [
        Route("/supervision", cards),
        Route("/supervision.csv", cards_download),
        Route("/stats", stats),
        Route("/stats.csv", stats_download),
    ]


def _week(node: Node, start: date) -> desk_pb2.Figures:
    return node.stats.report(start.isoformat(), (start + timedelta(days=6)).isoformat()).subtree
