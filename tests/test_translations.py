"""The Italian catalogue is complete and the compiled catalogues match their sources.

Strings are extracted from the source at test time with babel.cfg, exactly as ``make translations``
does, so a string added without a translation fails here. To fix a failure, run
``make translations``, translate the new entries in lti_tool/translations/it/LC_MESSAGES/messages.po
(no fuzzy flags left) and commit the .po and the compiled .mo together.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "lti_tool" / "translations"
LANGUAGES = ("en", "it")

# %(name)s, %(n)d, %(a).2f; a literal %% (templates always %-format, so a lone % would break them);
# a lone % that is neither; {name}-style fields.
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|%%|%|\{[^{}\s]*\}")

MsgId = str | tuple[str, str]


def key(msgid: MsgId) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def catalogue(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def shown(msgid: MsgId) -> str:
    return repr(msgid) if isinstance(msgid, str) else f"{msgid[0]!r} / plural {msgid[1]!r}"


@pytest.fixture(scope="module")
def source_msgids() -> dict[str, MsgId]:
    """Every msgid the source marks for translation, extracted now with babel.cfg's method map."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, MsgId] = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        if isinstance(message, str):
            msgid: MsgId = message
        else:  # ngettext: (singular, plural, ...); gettext called with a non-literal: (None,)
            if not message or message[0] is None:
                continue
            msgid = (message[0], message[1]) if len(message) > 1 and message[1] else message[0]
        found.setdefault(key(msgid), msgid)
    assert len(found) > 100, "extraction found almost nothing: is babel.cfg still right?"
    return found


@pytest.fixture(scope="module")
def italian() -> Catalog:
    return catalogue("it")


def translated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(strings) and all(s and s.strip() for s in strings)


def test_every_source_string_has_an_italian_translation(
    source_msgids: dict[str, MsgId], italian: Catalog
) -> None:
    missing = [msgid for k, msgid in source_msgids.items() if not translated(italian.get(k))]
    assert not missing, (
        f"{len(missing)} string(s) have no Italian translation (missing, empty or fuzzy) in "
        "lti_tool/translations/it/LC_MESSAGES/messages.po. Run `make translations`, translate them "
        "and compile:\n" + "\n".join(f"  {shown(m)}" for m in missing)
    )


def test_plural_entries_match_the_source(source_msgids: dict[str, MsgId], italian: Catalog) -> None:
    wrong = []
    for k, msgid in source_msgids.items():
        message = italian.get(k)
        if message is None:
            continue  # reported by the completeness test
        if isinstance(msgid, tuple) != isinstance(message.id, tuple):
            wrong.append(f"  {shown(msgid)}: singular/plural differs from the catalogue entry")
        elif isinstance(msgid, tuple) and message.id[1] != msgid[1]:
            wrong.append(f"  {shown(msgid)}: the catalogue's plural is {message.id[1]!r}")
    assert not wrong, "Re-run `make translations`:\n" + "\n".join(wrong)


def test_italian_plural_forms() -> None:
    italian = catalogue("it")
    assert italian.num_plurals == 2, italian.plural_forms
    assert italian.plural_expr.replace(" ", "") == "(n!=1)", italian.plural_forms
    for message in italian:
        if message.pluralizable:
            assert len(message.string) == 2, f"{message.id!r} needs exactly 2 plural forms"


def pairs(message: Message) -> Iterator[tuple[str, str]]:
    """(source, translation) for each form: msgstr[0] renders the singular, the others the plural."""
    if isinstance(message.id, tuple):
        for i, string in enumerate(message.string):
            yield message.id[0 if i == 0 else 1], string
    else:
        yield message.id, message.string


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    wrong = []
    for message in catalogue(language):
        if not message.id or message.fuzzy:
            continue
        for source, string in pairs(message):
            if not string:
                continue  # untranslated: the source is shown, nothing to compare
            expected, got = set(PLACEHOLDER.findall(source)), set(PLACEHOLDER.findall(string))
            if expected != got:
                wrong.append(
                    f"  {source!r}\n    -> {string!r}\n    expected {sorted(expected)}, got {sorted(got)}"
                )
    assert not wrong, f"Placeholders differ in the {language} catalogue:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_have_no_fuzzy_or_obsolete_entries(language: str) -> None:
    cat = catalogue(language)
    fuzzy = [shown(m.id) for m in cat if m.id and m.fuzzy]
    assert not fuzzy, "Fuzzy entries (review, then remove the flag):\n" + "\n".join(fuzzy)
    assert not cat.obsolete, "Obsolete (#~) entries: remove them:\n" + "\n".join(
        shown(m) for m in cat.obsolete
    )


def as_table(mo: bytes) -> dict[MsgId, tuple[str, ...]]:
    table: dict[MsgId, tuple[str, ...]] = {}
    for m in read_mo(io.BytesIO(mo)):
        if m.id:
            msgid = tuple(m.id) if isinstance(m.id, tuple | list) else m.id
            table[msgid] = tuple(m.string) if isinstance(m.string, tuple | list) else (m.string,)
    return table


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_po(language: str) -> None:
    """The .mo files are committed (the app loads them as they are): they must be what
    ``pybabel compile`` makes of the current .po, or the app shows stale or missing translations."""
    fresh = io.BytesIO()
    write_mo(fresh, catalogue(language))
    expected = as_table(fresh.getvalue())
    committed = as_table((TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes())
    stale = sorted(
        shown(k) for k in expected.keys() | committed.keys() if expected.get(k) != committed.get(k)
    )
    assert not stale, (
        f"lti_tool/translations/{language}/LC_MESSAGES/messages.mo is out of date; run "
        "`pybabel compile -d lti_tool/translations` and commit it. Differences:\n"
        + "\n".join(f"  {s}" for s in stale[:50])
        + (f"\n  ... and {len(stale) - 50} more" if len(stale) > 50 else "")
    )
