"""The PDF report (A4): a title page, a charts page, then one page per cluster.

Charts are reportlab graphics (vector, no system libraries, no matplotlib start-up
cost): the elbow (inertia by k), the silhouette by k and the cluster sizes.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ml_service.reports.data import ReportData, distinctive_text

_STYLES = getSampleStyleSheet()
_TABLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c4")),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
    ]
)
_CHART_W, _CHART_H = 160 * mm, 62 * mm


def _page_number(canvas: Canvas, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 9)
    canvas.drawRightString(A4[0] - 18 * mm, 12 * mm, f"Page {doc.page}")
    canvas.restoreState()


def _line_chart(title: str, xs: tuple[int, ...], ys: tuple[float, ...]) -> Drawing:
    drawing = Drawing(_CHART_W, _CHART_H)
    drawing.add(String(0, _CHART_H - 12, title, fontName="Helvetica-Bold", fontSize=11))
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 25, _CHART_W - 60, _CHART_H - 50
    plot.data = [list(zip(xs, ys, strict=True))]
    plot.lines[0].strokeColor = colors.HexColor("#2563eb")
    plot.lines[0].symbol = None
    plot.xValueAxis.valueSteps = list(xs)
    plot.xValueAxis.labelTextFormat = "%d"
    drawing.add(plot)
    return drawing


def _size_chart(data: ReportData) -> Drawing:
    drawing = Drawing(_CHART_W, _CHART_H)
    drawing.add(String(0, _CHART_H - 12, "Cluster sizes", fontName="Helvetica-Bold", fontSize=11))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 25, _CHART_W - 60, _CHART_H - 50
    chart.data = [[c.size for c in data.clusters]]
    chart.categoryAxis.categoryNames = [str(c.cluster_id) for c in data.clusters]
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#2563eb")
    drawing.add(chart)
    return drawing


def _title_page(data: ReportData) -> list[Any]:
    rows = [
        ["Model version", data.version + (" (active)" if data.active else "")],
        ["Algorithm", data.algorithm],
        ["Features", ", ".join(data.features)],
        ["Clusters", str(data.n_clusters)],
        ["Training rows", f"{data.n_samples:,}"],
        ["Data", data.dataset_label],
        ["Silhouette score", f"{data.silhouette_score:.4f}"],
        ["Inertia", f"{data.inertia:,.2f}"],
        ["Trained at", data.trained_at.strftime("%Y-%m-%d %H:%M UTC") if data.trained_at else "-"],
        ["Generated at", data.generated_at.strftime("%Y-%m-%d %H:%M UTC")],
    ]
    table = Table(rows, colWidths=[45 * mm, 115 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c4")),
                ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
            ]
        )
    )
    return [
        Spacer(1, 40 * mm),
        Paragraph("Customer segment report", _STYLES["Title"]),
        Spacer(1, 10 * mm),
        table,
        PageBreak(),
    ]


def _charts_page(data: ReportData) -> list[Any]:
    curve = data.elbow
    return [
        Paragraph("Choosing k and cluster sizes", _STYLES["Heading1"]),
        _line_chart("Elbow: inertia by k", curve.k_range, curve.inertias),
        Spacer(1, 4 * mm),
        _line_chart("Silhouette by k", curve.k_range, curve.silhouette_scores),
        Spacer(1, 4 * mm),
        _size_chart(data),
        PageBreak(),
    ]


def _cluster_page(data: ReportData, index: int) -> list[Any]:
    c = data.clusters[index]
    facts = [
        ["Size", f"{c.size:,}"],
        ["Share", f"{c.percentage:.2f} %"],
        ["Average age", f"{c.avg_age:.1f}"],
        ["Average annual income (k$)", f"{c.avg_income:.1f}"],
        ["Average spending score", f"{c.avg_spending_score:.1f}"],
        ["Average purchase frequency", f"{c.avg_purchase_frequency:.1f}"],
        ["Female share", f"{c.sex_ratio.get('Female', 0.0) * 100:.1f} %"],
    ]
    centroid = [["Feature", "Centroid"]] + [[f, f"{c.centroid[f]:.2f}"] for f in data.features]
    flow: list[Any] = [
        Paragraph(f"Cluster {c.cluster_id}: {c.cluster_name}", _STYLES["Heading1"]),
        Paragraph(c.description or "", _STYLES["BodyText"]),
        Spacer(1, 4 * mm),
        Table(facts, colWidths=[70 * mm, 50 * mm], style=_TABLE),
        Spacer(1, 6 * mm),
        Table(centroid, colWidths=[70 * mm, 50 * mm], style=_TABLE),
        Spacer(1, 6 * mm),
        Paragraph(f"<b>Distinctive features:</b> {distinctive_text(c)}", _STYLES["BodyText"]),
    ]
    if index < len(data.clusters) - 1:
        flow.append(PageBreak())
    return flow


def build_pdf(data: ReportData) -> bytes:
    """The PDF's bytes: 2 + n_clusters pages (CPU work: call it off the event loop)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Segment report {data.version}",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
    )
    story = _title_page(data) + _charts_page(data)
    for index in range(len(data.clusters)):
        story += _cluster_page(data, index)
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()
