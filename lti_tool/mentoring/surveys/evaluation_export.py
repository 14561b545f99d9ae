"""The evaluation as a spreadsheet (CSV and XLSX): one row per sub-scale and group, then mentors
compared with mentees. Formula-safe through :func:`lti_tool.safety.cells.cell` (survey titles and
sub-scale names are typed by coordinators); figures stay numbers. Hidden groups carry no figures,
not even their size: only the sentence saying why they are hidden."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook

from lti_tool.mentoring.surveys.evaluation import Evaluation
from lti_tool.mentoring.surveys.readings import hidden_text, reading
from lti_tool.safety.cells import cell

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLACES = 3


def _n(value: float | None) -> float | None:
    return None if value is None else round(value, PLACES)


def scale_rows(result: Evaluation) -> tuple[list[str], list[list[Any]]]:
    columns = [
        _("Survey"),
        _("Sub-scale"),
        _("Group"),
        _("Pairs (n)"),
        _("Mean before"),
        _("Mean after"),
        _("Difference"),
        _("95% CI from"),
        _("95% CI to"),
        _("SD of the differences"),
        _("Effect size (d_z)"),
        _("Effect size, Hedges-corrected (g_z)"),
        _("Reading"),
    ]
    rows: list[list[Any]] = []
    for scale in result.scales:
        for group in scale.groups:
            r = group.result
            figures: list[Any] = (
                [
                    r.n,
                    *map(
                        _n,
                        (
                            r.mean_before,
                            r.mean_after,
                            r.mean_diff,
                            r.ci_low,
                            r.ci_high,
                            r.sd_diff,
                            r.d_z,
                            r.g_z,
                        ),
                    ),
                ]
                if r is not None
                else [None] * 9
            )
            rows.append(
                [
                    scale.survey_title,
                    scale.label,
                    group.label,
                    *figures,
                    reading(scale, group, result.min_group),
                ]
            )
    return columns, rows


def comparison_rows(result: Evaluation) -> tuple[list[str], list[list[Any]]]:
    columns = [
        _("Instrument"),
        _("Sub-scale"),
        _("Mentors (n)"),
        _("Mentees (n)"),
        _("Mentors' change minus mentees' change"),
        _("95% CI from"),
        _("95% CI to"),
        _("Degrees of freedom (Welch)"),
        _("Effect size (d)"),
        _("Note"),
    ]
    rows: list[list[Any]] = []
    for c in result.comparisons:
        if c.result is None:
            rows.append(
                [
                    c.title,
                    c.label,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    hidden_text(c.hidden, result.min_group),
                ]
            )
            continue
        w = c.result
        rows.append([c.title, c.label, w.n_a, w.n_b, *map(_n, (w.diff, w.ci_low, w.ci_high, w.df, w.d)), ""])
    return columns, rows


def _sections(result: Evaluation) -> list[tuple[str, list[str], list[list[Any]]]]:
    return [
        (_("Before and after"), *scale_rows(result)),
        (_("Mentors and mentees"), *comparison_rows(result)),
    ]


def to_csv(result: Evaluation) -> bytes:
    """Both tables, one after the other with a blank line between; UTF-8 with a BOM for Excel."""
    out = io.StringIO()
    writer = csv.writer(out)
    for number, (_title, columns, rows) in enumerate(_sections(result)):
        if number:
            writer.writerow([])
        writer.writerows(_safe([columns, *rows]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(result: Evaluation) -> bytes:
    """One sheet per table."""
    book = Workbook(write_only=True)
    for title, columns, rows in _sections(result):
        sheet = book.create_sheet(title=title[:31])
        for row in [columns, *rows]:
            sheet.append([None if v == "" else v for v in _safe([row])[0]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    return [[cell(value) for value in row] for row in rows]
