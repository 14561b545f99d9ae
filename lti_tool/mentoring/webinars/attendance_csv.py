"""Reading an attendance export (Zoom, Teams, Meet or a spreadsheet) into who attended: columns found by
their usual names, people by e-mail or LMS id, refusals naming the row."""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from lti_tool.accounts.models import User
from lti_tool.db import db
from lti_tool.errors import InvalidInput
from lti_tool.mentoring.programmes.models import Participant
from lti_tool.mentoring.webinars.models import (
    Webinar,
)

CSV_MAX_BYTES = 1024 * 1024
CSV_MAX_ROWS = 5000
CSV_EMAIL_COLUMNS = ("email", "e-mail", "user email", "attendee email", "email address")
CSV_ID_COLUMNS = ("user_id", "lms user id", "sub")
CSV_ATTENDED_COLUMN = "attended"
CSV_TRUE = {"yes", "y", "true", "1", "x", "attended", "present"}
CSV_FALSE = {"no", "n", "false", "0", "absent", ""}


def parse_attendance_csv(text: str, webinar: Webinar) -> list[tuple[Participant, bool]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    email_col = next((header.index(c) for c in CSV_EMAIL_COLUMNS if c in header), None)
    id_col = next((header.index(c) for c in CSV_ID_COLUMNS if c in header), None)
    attended_col = header.index(CSV_ATTENDED_COLUMN) if CSV_ATTENDED_COLUMN in header else None
    if email_col is None and id_col is None:
        raise InvalidInput(
            _("The file has no column naming people."),
            errors={"file": [_('Add a header row with a column "email" or "user_id" (the LMS user id).')]},
        )
    members = db.session.execute(
        sa.select(Participant, User)
        .join(User, User.id == Participant.user_id)
        .where(Participant.programme_id == webinar.programme_id)
    ).all()
    by_email: dict[str, list[Participant]] = {}
    by_sub: dict[str, Participant] = {}
    for member, user in members:
        if user.email:
            by_email.setdefault(user.email.strip().lower(), []).append(member)
        by_sub[user.sub] = member
    errors: list[dict[str, Any]] = []
    wanted: list[tuple[Participant, bool]] = []
    seen: dict[int, int] = {}
    for number, row in enumerate(reader, start=2):
        if number - 1 > CSV_MAX_ROWS:
            errors.append(
                {
                    "row": number,
                    "message": _("Too many rows; import at most %(n)s at a time.", n=CSV_MAX_ROWS),
                }
            )
            break
        if not any(cell.strip() for cell in row):
            continue

        def cell(index: int | None, current: list[str] = row) -> str:
            return current[index].strip() if index is not None and index < len(current) else ""

        participant: Participant | None = None
        if id_col is not None and cell(id_col):
            participant = by_sub.get(cell(id_col))
            if participant is None:
                errors.append(
                    {"row": number, "message": _('No participant has the user id "%(v)s".', v=cell(id_col))}
                )
                continue
        elif email_col is not None and cell(email_col):
            found = by_email.get(cell(email_col).lower(), [])
            if len(found) != 1:
                message = (
                    _('No participant has the e-mail "%(v)s".', v=cell(email_col))
                    if not found
                    else _('Several participants share the e-mail "%(v)s"; use user_id.', v=cell(email_col))
                )
                errors.append({"row": number, "message": message})
                continue
            participant = found[0]
        else:
            errors.append(
                {"row": number, "message": _("The row names nobody: fill in the e-mail or user id.")}
            )
            continue
        value = cell(attended_col).lower() if attended_col is not None else "yes"
        if value not in CSV_TRUE | CSV_FALSE:
            errors.append({"row": number, "message": _('"%(v)s" is not yes or no.', v=value)})
            continue
        if participant.id in seen:
            errors.append({"row": number, "message": _("Same person as row %(n)s.", n=seen[participant.id])})
            continue
        seen[participant.id] = number
        wanted.append((participant, value in CSV_TRUE))
    if errors:
        raise InvalidInput(
            ngettext(
                "%(num)d row has a problem; nothing was imported. Correct it and import the file again.",
                "%(num)d rows have problems; nothing was imported. Correct them and import the file again.",
                len(errors),
            ),
            errors={"rows": errors},
        )
    return wanted
