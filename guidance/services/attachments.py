"""Attachment checks and storage: type by content, size and count limits, no orphan files.

Files are written under a temporary name first and only renamed to their final random
name after the database transaction that records them has committed; on rollback the
temporary files are deleted. A crash in between leaves only ".part" files, never a row
without a file or a file that no row points to under a real name.
"""
from __future__ import annotations

import io
import os
import secrets
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_REFERRAL = 5

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
EXTENSION = {PDF: ".pdf", DOCX: ".docx", ODT: ".odt"}

_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


@dataclass
class Upload:
    """A file as received: the name the user's computer gave it and its bytes."""

    filename: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The content type judged from the bytes themselves (never the name), or None if not allowed."""
    if data.startswith(b"%PDF-"):
        return PDF
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            # ODF: the first entry is an uncompressed "mimetype" naming the document type.
            if "mimetype" in names:
                with archive.open("mimetype") as handle:
                    if handle.read(100).strip() == ODT.encode():
                        return ODT
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                with archive.open("[Content_Types].xml") as handle:
                    # Read a bounded amount: a crafted archive must not make us inflate gigabytes.
                    if _DOCX_MAIN in handle.read(256 * 1024):
                        return DOCX
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    return None


def check_uploads(uploads: list[Upload], already: int = 0) -> tuple[list[str], list[str]]:
    """Messages for uploads that break a rule, and the content type of each upload (same order)."""
    from flask_babel import gettext as _

    errors, types = [], []
    if already + len(uploads) > MAX_PER_REFERRAL:
        errors.append(_("At most %(count)d attachments per referral.", count=MAX_PER_REFERRAL))
    for upload in uploads:
        kind = sniff(upload.data)
        types.append(kind or "")
        if len(upload.data) > MAX_BYTES:
            errors.append(_("%(name)s is larger than 10 MB.", name=display_name(upload.filename)))
        elif len(upload.data) == 0:
            errors.append(_("%(name)s is empty.", name=display_name(upload.filename)))
        elif kind is None:
            errors.append(_("%(name)s is not a PDF, Word (DOCX) or OpenDocument (ODT) document.",
                            name=display_name(upload.filename)))
    return errors, types


def display_name(filename: str) -> str:
    """A file name safe to show and to send back in Content-Disposition: no paths, bounded length."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return (name or "vedlegg")[-120:]


@dataclass
class StagedFiles:
    """Files written under temporary names, published or discarded with the transaction."""

    folder: Path
    _pending: list[tuple[Path, Path]] = field(default_factory=list)

    def add(self, data: bytes) -> str:
        """Write `data` under a temporary name; returns the random final name to record."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stored_name = secrets.token_hex(16)
        temporary = self.folder / f".{stored_name}.part"
        with open(temporary, "xb") as handle:
            handle.write(data)
        self._pending.append((temporary, self.folder / stored_name))
        return stored_name

    def publish(self) -> None:
        """After commit: give every file its final name (an atomic rename in one folder)."""
        for temporary, final in self._pending:
            os.replace(temporary, final)
        self._pending.clear()

    def discard(self) -> None:
        """After rollback: remove every temporary file."""
        for temporary, _final in self._pending:
            temporary.unlink(missing_ok=True)
        self._pending.clear()


def stored_path(folder: str | Path, stored_name: str) -> Path | None:
    """The file of an attachment, or None if the name is not one of ours or the file is gone."""
    if len(stored_name) != 32 or any(ch not in "0123456789abcdef" for ch in stored_name):
        return None
    path = Path(folder) / stored_name
    return path if path.is_file() else None
