"""Uploaded files: checked for size and type, stored outside the database under random names.

Files live in ``DATA_DIR/uploads``. The stored name is random (never the name the person gave), the
content type comes from our own table (never from the browser), and the first bytes must look like
the type the extension claims, so a renamed executable or HTML page is refused.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _

from lti_tool.errors import InvalidInput, RitmoError
from lti_tool.private_files import create_private_file, private_dir

CHUNK_BYTES = 64 * 1024
UPLOADS_FOLDER = "uploads"  # in DATA_DIR; this user's alone (0700, files 0600)
MAX_NAME_CHARS = 120


def _starts(*magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: any(head.startswith(m) for m in magic)


def _utf8_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sniffed prefix may end inside a character.
        return error.start >= len(head) - 3
    return True


_ZIP = _starts(b"PK\x03\x04")
#: extension -> (content type served, check of the first bytes)
ALLOWED_TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "pdf": ("application/pdf", _starts(b"%PDF-")),
    "png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "gif": ("image/gif", _starts(b"GIF87a", b"GIF89a")),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "odp": ("application/vnd.oasis.opendocument.presentation", _ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    "txt": ("text/plain", _utf8_text),
    "md": ("text/plain", _utf8_text),
    "csv": ("text/csv", _utf8_text),
}
SNIFF_BYTES = 512


class PayloadTooLarge(RitmoError):
    status = 413
    title = "File too large"


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    file_name: str
    content_type: str
    size_bytes: int


def max_bytes() -> int:
    return int(current_app.config["CONTENT_UPLOAD_MAX_BYTES"])


def upload_dir(folder: str = UPLOADS_FOLDER) -> Path:
    """A private folder in ``DATA_DIR``: content uploads', or another feature's (posts' attachments)."""
    return private_dir(Path(current_app.config["DATA_DIR"]) / folder)


def make_private(data_dir: str) -> None:
    """At start: tighten the folder, and files stored before uploads were made private."""
    private_dir(Path(data_dir) / UPLOADS_FOLDER, with_files=True)


def path_for(storage_name: str, folder: str = UPLOADS_FOLDER) -> Path:
    return upload_dir(folder) / storage_name


def clean_file_name(name: str) -> str:
    """The name shown and offered on download: no path, no control characters, bounded."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = base.strip().lstrip(".")
    if len(base) > MAX_NAME_CHARS:
        stem, dot, ext = base.rpartition(".")
        base = stem[: MAX_NAME_CHARS - len(ext) - 1] + dot + ext if dot else base[:MAX_NAME_CHARS]
    return base or "file"


def _refuse_type() -> InvalidInput:
    kinds = ", ".join(sorted(ALLOWED_TYPES))
    return InvalidInput(
        _("This kind of file is not accepted."),
        errors={
            "file": [_("Upload one of: %(kinds)s. The file's content must match its extension.", kinds=kinds)]
        },
    )


def store(stream: IO[bytes], given_name: str, folder: str = UPLOADS_FOLDER) -> StoredFile:
    """Write the upload under a random name; refuse it whole if too big or not what it claims."""
    name = clean_file_name(given_name)
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES:
        raise _refuse_type()
    content_type, looks_right = ALLOWED_TYPES[extension]
    limit = max_bytes()
    storage_name = secrets.token_hex(16)
    final = path_for(storage_name, folder)
    partial = final.with_suffix(".part")
    size = 0
    head = b""
    try:
        with os.fdopen(create_private_file(partial), "wb") as out:
            while chunk := stream.read(CHUNK_BYTES):
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        _(
                            "The file is larger than %(mb)s MB. Compress it or split it, then upload again.",
                            mb=f"{limit / 1024 / 1024:g}",
                        )
                    )
                out.write(chunk)
        if size == 0:
            raise InvalidInput(_("The file is empty."), errors={"file": [_("Choose a file with content.")]})
        if not looks_right(head):
            raise _refuse_type()
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(storage_name, name, content_type, size)


def delete(storage_name: str | None, folder: str = UPLOADS_FOLDER) -> None:
    if storage_name:
        path_for(storage_name, folder).unlink(missing_ok=True)
