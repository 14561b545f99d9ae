"""The inventory of personal columns against the schema: nothing unlisted, nothing stale."""

from __future__ import annotations

import collections

import sqlalchemy as sa

from lti_tool import models
from lti_tool.accounts import personal_data
from lti_tool.accounts.personal_data import Entry, Fate
from lti_tool.db import db


def _metadata() -> sa.MetaData:
    models.load_all()
    return db.metadata


def test_every_column_that_can_hold_personal_data_is_listed() -> None:
    missing = personal_data.unlisted(_metadata())
    assert missing == [], (
        "List these columns in lti_tool/accounts/personal_data.py (personal with what export and "
        f"erasure do with them, or not personal with a reason): {missing}"
    )


def test_a_new_column_is_caught() -> None:
    metadata = sa.MetaData()
    sa.Table("user", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("participant", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "diary", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("writer_id", sa.ForeignKey("user.id")),
        sa.Column("member_id", sa.ForeignKey("participant.id")),
        sa.Column("entry", sa.Text),
        sa.Column("tags", sa.JSON),
        sa.Column("photo", sa.LargeBinary),
        sa.Column("mood", sa.Enum("good", "bad", native_enum=False)),
        sa.Column("stars", sa.Integer),
        sa.Column("at", sa.DateTime),
    )
    assert personal_data.unlisted(metadata) == [
        "diary.writer_id", "diary.member_id", "diary.entry", "diary.tags", "diary.photo",
    ]


def test_each_column_is_listed_once_and_exists() -> None:
    metadata = _metadata()
    counts = collections.Counter(entry.column for entry in personal_data.INVENTORY)
    assert [name for name, n in counts.items() if n > 1] == []
    for entry in personal_data.INVENTORY:
        assert entry.table in metadata.tables, entry.column
        assert entry.name in metadata.tables[entry.table].c, entry.column
        assert entry.why, f"{entry.column}: say why"


def test_erasure_can_find_whose_rows_each_entry_changes() -> None:
    metadata = _metadata()
    for entry in personal_data.INVENTORY:
        if entry.fate not in (Fate.DELETE, Fate.BLANK):
            continue
        owners = personal_data.owners_of(entry)
        assert owners, f"{entry.column}: no owner columns (OWNERS or by=)"
        table = metadata.tables[entry.table]
        for name in owners:
            assert name.partition(".")[0] in metadata.tables or name in table.c, f"{entry.column}: {name}"
        if entry.fate is Fate.BLANK and entry.to is None:
            assert table.c[entry.name].nullable, f"{entry.column} cannot be NULL: blank it with a value"


def test_only_deleted_or_blanked_columns_count_as_their_words() -> None:
    for entry in personal_data.INVENTORY:
        if entry.words:
            assert entry.fate in (Fate.DELETE, Fate.BLANK), entry.column


def test_entry_names() -> None:
    entry = Entry("goal.title", Fate.BLANK, "a goal they wrote", to="—")
    assert (entry.table, entry.name) == ("goal", "title")
    assert personal_data.owners_of(entry) == ("created_by_user_id",)
