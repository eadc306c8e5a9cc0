"""The Excel report: Summary, Clusters and Elbow sheets (numbers stored as numbers)."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ml_service.reports.data import ReportData, distinctive_text

AVERAGES = ("avg_age", "avg_income", "avg_spending_score", "avg_purchase_frequency")


def _naive(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: UTC wall time."""
    return moment.replace(tzinfo=None) if moment is not None else None


def _header(sheet: Worksheet, titles: list[str]) -> None:
    sheet.append(titles)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _summary(sheet: Worksheet, data: ReportData) -> None:
    sheet.title = "Summary"
    _header(sheet, ["Field", "Value"])
    rows: list[tuple[str, object]] = [
        ("Model version", data.version),
        ("Active", "yes" if data.active else "no"),
        ("Algorithm", data.algorithm),
        ("Features", ", ".join(data.features)),
        ("Clusters", data.n_clusters),
        ("Training rows", data.n_samples),
        ("Data", data.dataset_label),
        ("Silhouette score", data.silhouette_score),
        ("Inertia", data.inertia),
        ("Trained at (UTC)", _naive(data.trained_at)),
        ("Report generated at (UTC)", _naive(data.generated_at)),
    ]
    for row in rows:
        sheet.append(list(row))
    for row_cells in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        if isinstance(row_cells[0].value, datetime):
            row_cells[0].number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 44


def _clusters(sheet: Worksheet, data: ReportData) -> None:
    centroid = [f"centroid_{f}" for f in data.features]
    _header(
        sheet,
        [
            "cluster_id",
            "name",
            "size",
            "share",
            *AVERAGES,
            "female_share",
            *centroid,
            "distinctive",
            "description",
        ],
    )
    for c in data.clusters:
        sheet.append(
            [
                c.cluster_id,
                c.cluster_name,
                c.size,
                c.percentage / 100,
                *(float(getattr(c, key)) for key in AVERAGES),
                float(c.sex_ratio.get("Female", 0.0)),
                *(float(c.centroid[f]) for f in data.features),
                distinctive_text(c),
                c.description,
            ]
        )
    for (cell,) in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
        cell.number_format = "0.00%"
    sheet.column_dimensions["B"].width = 28


def _elbow(sheet: Worksheet, data: ReportData) -> None:
    _header(sheet, ["k", "inertia", "silhouette"])
    curve = data.elbow
    for k, inertia, silhouette in zip(
        curve.k_range, curve.inertias, curve.silhouette_scores, strict=True
    ):
        sheet.append([k, float(inertia), float(silhouette)])
    last = len(curve.k_range) + 1
    categories = Reference(sheet, min_col=1, min_row=2, max_row=last)
    for column, title, anchor in ((2, "Elbow: inertia by k", "E2"), (3, "Silhouette by k", "E20")):
        chart = LineChart()
        chart.title = title
        chart.x_axis.title = "k"
        chart.y_axis.title = sheet.cell(row=1, column=column).value
        chart.add_data(
            Reference(sheet, min_col=column, min_row=1, max_row=last), titles_from_data=True
        )
        chart.set_categories(categories)
        sheet.add_chart(chart, anchor)


def build_xlsx(data: ReportData) -> bytes:
    """The workbook's bytes (CPU work: call it off the event loop)."""
    book = Workbook()
    _summary(book.active, data)
    _clusters(book.create_sheet("Clusters"), data)
    _elbow(book.create_sheet("Elbow"), data)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
