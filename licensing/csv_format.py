"""Reading the bulk-assignment CSV (pure: bytes in, rows out; applying them is a service).

Format (see docs/licensing.md): one row per change, columns ``extension``, ``license`` and
optionally ``action`` (``assign``, the default, or ``revoke``) and ``reason``. A header row is
optional (English or German names); without one the columns are taken in that order. Comma,
semicolon (German spreadsheet default) or tab separated; UTF-8 (with or without BOM) or
Windows-1252. Blank lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .choices import CsvAction, License

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
COLUMNS = ("extension", "license", "action", "reason")

HEADER_ALIASES = {
    "extension": "extension", "ext": "extension", "nebenstelle": "extension",
    "tln": "extension", "durchwahl": "extension",
    "license": "license", "licence": "license", "lizenz": "license",
    "action": "action", "aktion": "action",
    "reason": "reason", "grund": "reason", "begründung": "reason",
}
LICENSE_ALIASES = {value: value for value in License.values}
ACTION_ALIASES = {
    "": CsvAction.ASSIGN, "assign": CsvAction.ASSIGN, "zuweisen": CsvAction.ASSIGN,
    "revoke": CsvAction.REVOKE, "entziehen": CsvAction.REVOKE,
}


class CsvFormatError(Exception):
    """The file as a whole cannot be read. ``code``: ``empty_file``, ``file_too_large``,
    ``too_many_rows``, ``missing_columns``, ``unreadable_file``."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class CsvRow:
    line: int
    extension: str
    license: str
    action: str
    reason: str

    @property
    def normalized_license(self) -> str | None:
        return LICENSE_ALIASES.get(self.license.strip().lower())

    @property
    def normalized_action(self) -> str | None:
        return ACTION_ALIASES.get(self.action.strip().lower())


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _header_mapping(cells: list[str]) -> dict[str, int] | None:
    names = [HEADER_ALIASES.get(cell.strip().lower()) for cell in cells]
    if "extension" not in names and "license" not in names:
        return None
    if "extension" not in names or "license" not in names:
        raise CsvFormatError("missing_columns", _(
            "The header must name the columns “extension” and “license”."))
    return {name: index for index, name in enumerate(names) if name is not None}


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def parse_csv(data: bytes) -> list[CsvRow]:
    """The rows of an uploaded file, in file order. Raises ``CsvFormatError``."""
    if len(data) > MAX_BYTES:
        raise CsvFormatError("file_too_large", _("The file is larger than 1 MB."))
    text = decode(data)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise CsvFormatError("empty_file", _("The file is empty."))
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0]))
    mapping = None
    header_seen = False
    rows: list[CsvRow] = []
    for cells in _read(reader):
        if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            mapping = _header_mapping(cells)
            if mapping is not None:
                continue
        if mapping is None:
            mapping = {name: index for index, name in enumerate(COLUMNS)}

        values = {name: _cell(cells, mapping.get(name)) for name in COLUMNS}
        rows.append(CsvRow(line=reader.line_num, **values))
        if len(rows) > MAX_ROWS:
            raise CsvFormatError("too_many_rows", _("At most %(max)d rows per file.")
                                 % {"max": MAX_ROWS})
    if not rows:
        raise CsvFormatError("empty_file", _("The file contains no rows to import."))
    return rows


def _read(reader):
    """The reader's rows; a file the csv module cannot read (a line break inside a field
    that is not quoted, a field over its size limit, binary data) is refused like any other
    malformed file instead of escaping as ``csv.Error``."""
    try:
        yield from reader
    except csv.Error:
        raise CsvFormatError(
            "unreadable_file",
            _("Line %(line)s cannot be read as CSV (a line break inside a field, or a field "
              "that is far too long).") % {"line": reader.line_num},
        ) from None
