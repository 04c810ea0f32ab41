"""One table reader for every import: CSV in the dialects controllers' tools write, and Excel.

Why one reader: the register files, the school list and the web uploads must agree on what a
file means (encoding, delimiter, decimal comma, Excel's lost leading zeros, row numbers), and an
upload must be read from memory, never written to disk, because it may hold personal identity
numbers. ``read_table`` takes a path or an :class:`Upload` (name and bytes) and returns every
column as stripped text plus ``_row``, the row number the user sees (the header is row 1), or
``None`` with the reasons appended to ``problems``.

Problems name the file, row and column but never repeat a cell's value: the cell may be a
personal identity number. The checks here are the ones that hold for any table (encoding, NUL
bytes, header, field counts, cell length, the size of an Excel workbook); what a column may
contain is the caller's business (``likvard.data.register``).

An Excel workbook is a zip archive that a few hundred kilobytes can make unpack to gigabytes.
Before openpyxl sees it, the archive's directory is read (a few kilobytes, from memory) and the
workbook refused when its members declare more than ``max_unpacked_bytes`` or compress absurdly
well. The declared sizes are an upper bound: Python's ``zipfile``, which openpyxl reads
through, stops every member at its declared size (and fails its CRC check) however much more
the data would inflate to.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .problems import Problem

__all__ = [
    "CODE_WIDTHS",
    "MAX_CELL_CHARS",
    "XLSX_MAX_RATIO",
    "XLSX_MAX_UNPACKED_BYTES",
    "Source",
    "Table",
    "Upload",
    "looks_like_identity_number",
    "read_table",
    "source_name",
]

#: Longest cell accepted, in characters (a name, an address or a code is far shorter).
MAX_CELL_CHARS = 1000
#: Most an Excel workbook may unpack to (sum of the members' declared sizes).
XLSX_MAX_UNPACKED_BYTES = 200 * 1000 * 1000
#: Compression ratio above which a workbook unpacking to more than ``XLSX_RATIO_FROM`` is refused.
XLSX_MAX_RATIO = 200
XLSX_RATIO_FROM = 10 * 1000 * 1000
#: Most problems reported per kind of problem in one file.
MAX_REPORTED = 50

#: Code columns Excel turns into numbers (dropping leading zeros), with their width.
CODE_WIDTHS = {"school_unit_code": 8, "home_municipality": 4, "municipality_code": 4, "host_school_unit_code": 8}

_SEPARATORS = {",": "komma", ";": "semikolon", "\t": "tabb"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the binary .xls format
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
# Swedish letters in UTF-8: when these occur beside bytes that are not UTF-8, the file mixes
# encodings (pasted from two sources) and reading it as Windows-1252 would garble them.
_UTF8_SWEDISH = (b"\xc3\xa5", b"\xc3\xa4", b"\xc3\xb6", b"\xc3\x85", b"\xc3\x84", b"\xc3\x96", b"\xc3\xa9")
_IDENTITY_LIKE = re.compile(r"\d{6}(?:\d{2})?\s*[-+]?\s*(?:\d{4}|[A-Za-z]{1,2}\d{2,3})")


@dataclass(frozen=True)
class Upload:
    """A file held in memory (a web upload): read as it is, never written to disk."""

    name: str
    content: bytes

    def __repr__(self) -> str:  # never the content: it may hold personal identity numbers
        return f"Upload(name={self.name!r}, {len(self.content)} bytes)"


Source = Path | Upload


@dataclass(frozen=True, eq=False)
class Table:
    """A table read: every column as stripped text ("" for empty) plus ``_row`` (header = 1)."""

    frame: pl.DataFrame
    #: The file's name as the user gave it, for messages.
    name: str
    #: Numbers may use a decimal comma (``;`` and tab-separated files, as Swedish Excel writes
    #: them, and text cells of a workbook).
    decimal_comma: bool
    #: A short description, e.g. "CSV, Windows-1252, semikolon" or "Excel (.xlsx), blad 'Blad1'".
    dialect: str
    #: The CSV delimiter ("," for a workbook), for writing the table back in its own dialect.
    separator: str = ","


def source_name(source: Source | str) -> str:
    """The file name a message shows: the upload's name or the path's last part."""
    raw = source.name if isinstance(source, Upload) else Path(source).name
    return raw.replace("\\", "/").rsplit("/", 1)[-1] or "fil"


def looks_like_identity_number(value: str) -> bool:
    """Whether a value might be a personal identity number (so a message must not show it).

    Deliberately wide (any 10 digits, or a date-like run followed by four characters, as in
    interim numbers such as ``20150312-TF12``): a false alarm only hides a value.
    """
    return bool(_IDENTITY_LIKE.search(value)) or sum(ch.isdigit() for ch in value) >= 10


def read_table(
    source: Source,
    problems: list[Problem],
    *,
    max_cell_chars: int = MAX_CELL_CHARS,
    max_unpacked_bytes: int = XLSX_MAX_UNPACKED_BYTES,
) -> Table | None:
    """Read a CSV file (UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252; delimiter
    ``,`` ``;`` or tab from the header line) or the first sheet of an Excel workbook, from a
    path or from memory. ``None`` when it cannot be used; the reasons are in ``problems``."""
    if isinstance(source, str):
        source = Path(source)
    name = source_name(source)
    if isinstance(source, Upload):
        content = source.content
    else:
        try:
            content = source.read_bytes()
        except FileNotFoundError:
            problems.append(Problem(name, None, None, "filen finns inte"))
            return None
        except IsADirectoryError:
            problems.append(Problem(name, None, None, "är en katalog, inte en fil"))
            return None
        except OSError as exc:
            problems.append(Problem(name, None, None, f"kan inte läsas: {exc.strerror or type(exc).__name__}"))
            return None
    if not content or (len(content) < 65536 and not content.lstrip(b"\xef\xbb\xbf").strip()):
        problems.append(Problem(name, None, None, "filen är tom"))
        return None
    if content.startswith(_OLE_MAGIC):
        problems.append(Problem(name, None, None, "det gamla Excel-formatet (.xls) kan inte läsas: spara som .xlsx eller CSV UTF-8"))
        return None
    if name.lower().endswith(_EXCEL_SUFFIXES) or content.startswith(_ZIP_MAGIC):
        return _read_xlsx(content, name, problems, max_cell_chars, max_unpacked_bytes)
    return _read_csv(content, name, problems, max_cell_chars)


# --------------------------------------------------------------------------------------------
# shared checks


def _where(data: bytes, offset: int, sep: str, header: bytes) -> tuple[int, str]:
    """The line and column of a byte in a CSV file (quotes not considered: for messages only)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    field = data.count(sep.encode(), line_start, offset)
    names = _split_header(header.decode("utf-8", "replace"), sep)
    column = names[field].strip() if field < len(names) and names[field].strip() else str(field + 1)
    return data.count(b"\n", 0, offset) + 1, column


def _header_ok(names: list[str], name: str, problems: list[Problem], max_cell_chars: int) -> bool:
    """Column names: present, not data, not too long, none empty, none twice."""
    if not names:
        problems.append(Problem(name, 1, None, "rubrikrad saknas (första raden ska ha kolumnnamnen)"))
        return False
    ok = True
    for i, column in enumerate(names, start=1):
        if looks_like_identity_number(column):
            problems.append(Problem(name, 1, str(i), "rubrikraden ser ut att innehålla data i stället för kolumnnamn (rubrikrad saknas?)"))
            return False
        if len(column) > max_cell_chars:
            problems.append(Problem(name, 1, str(i), f"kolumnrubriken har {len(column)} tecken, högst {max_cell_chars} tillåts"))
            ok = False
        elif column == "":
            problems.append(Problem(name, 1, str(i), "tom kolumnrubrik"))
            ok = False
    seen: dict[str, int] = {}
    for i, column in enumerate(names, start=1):
        if column and column in seen:
            problems.append(Problem(name, 1, column, f"samma kolumnrubrik förekommer flera gånger (kolumn {seen[column]} och {i})"))
            ok = False
        seen.setdefault(column, i)
    return ok


def _finish(frame: pl.DataFrame, name: str, problems: list[Problem], max_cell_chars: int) -> pl.DataFrame | None:
    """Drop empty rows after the data, check cell lengths, number the rows (header = 1)."""
    if frame.height and frame.width and not any(frame.row(frame.height - 1)):
        # Excel keeps formatted but empty rows after the data; they are not data. An empty row
        # in the middle stays, so row numbers are the file's and its empty cells are reported.
        filled = frame.select(pl.any_horizontal(pl.all() != "").arg_true().max()).item()
        frame = frame.head(0 if filled is None else int(filled) + 1)
    numbered = frame.with_row_index("_row", offset=2)
    if frame.width:
        longest = frame.select(pl.all().str.len_bytes().max()).row(0)
        long_columns = [c for c, n in zip(frame.columns, longest, strict=True) if n is not None and n > max_cell_chars]
        found = 0
        for column in long_columns:  # bytes bound characters; count characters where it matters
            hits = numbered.filter(pl.col(column).str.len_chars() > max_cell_chars).select("_row", pl.col(column).str.len_chars()).head(MAX_REPORTED)
            for row, n in hits.iter_rows():
                problems.append(Problem(name, int(row), column, f"cellen har {n} tecken, högst {max_cell_chars} tillåts"))
                found += 1
        if found:
            return None
    return numbered


# --------------------------------------------------------------------------------------------
# CSV


def _read_csv(content: bytes, name: str, problems: list[Problem], max_cell_chars: int) -> Table | None:
    data = content
    encoding = "UTF-8"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data = content.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, None, None, f"felaktig UTF-16-text (byte {exc.start}): spara som CSV UTF-8"))
            return None
        encoding = "UTF-16"
    elif content.startswith(codecs.BOM_UTF8):
        encoding = "UTF-8 med BOM"
    start = 3 if data.startswith(codecs.BOM_UTF8) else 0  # Polars skips a UTF-8 BOM itself
    end = data.find(b"\n", start)
    header_bytes = data[start : end if end >= 0 else len(data)].rstrip(b"\r")
    sep = max((",", ";", "\t"), key=lambda s: header_bytes.count(s.encode()))  # ties: the first
    nul = data.find(b"\x00")
    if nul >= 0:
        row, column = _where(data, nul, sep, header_bytes)
        problems.append(
            Problem(name, row, column, f"filen innehåller NUL-tecken ({data.count(0)} st.): den är binär, eller UTF-16 utan BOM; spara som CSV UTF-8")
        )
        return None
    try:
        header_text = header_bytes.decode("utf-8")
    except UnicodeDecodeError:
        header_text = None
    frame: pl.DataFrame | None = None
    if header_text is not None:
        try:
            frame = _polars_csv(data, sep)
        except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError, pl.exceptions.SchemaError):
            frame = None
    if frame is None and not _is_utf8(data):
        converted = _from_cp1252(data, sep, header_bytes, name, problems)
        if converted is None:
            return None
        data = converted
        encoding = "Windows-1252"
        header_text = header_bytes.decode("cp1252")
        try:
            frame = _polars_csv(data, sep)
        except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError, pl.exceptions.SchemaError):
            frame = None
    assert header_text is not None
    names = [c.strip() for c in _split_header(header_text, sep)]
    named = list(names)
    while named and named[-1] == "":
        named.pop()  # unnamed columns at the end: dropped below when they hold nothing
    if not _header_ok(named, name, problems, max_cell_chars):
        return None
    placeholders = [c or f"_unnamed_{i}" for i, c in enumerate(names)]
    if frame is not None and frame.width != len(names):
        frame = None  # Polars split the header differently (odd quoting): the careful path decides
    if frame is not None:
        frame.columns = placeholders
        if not _field_counts_ok(data, frame, sep, header_text, name, placeholders, problems):
            return None
    else:
        # Polars could not parse it (a row with too many fields, a stray quote): read it with
        # the csv module, which names the rows with the wrong number of fields, or reads it.
        frame = _careful_csv(data, sep, name, placeholders, problems)
        if frame is None:
            return None
    if _may_need_strip(data, sep, frame.height):
        frame = frame.with_columns(pl.all().fill_null("").str.strip_chars())
    else:
        frame = frame.with_columns(pl.all().fill_null(""))
    unnamed = [c for c in placeholders[len(named) :]]
    if unnamed:
        used = frame.select([(pl.col(c) != "").arg_true().first().alias(c) for c in unnamed]).row(0)
        filled = [(c, i) for c, i in zip(unnamed, used, strict=True) if i is not None]
        for c, i in filled:
            problems.append(Problem(name, int(i) + 2, str(placeholders.index(c) + 1), "kolumnen saknar rubrik men har värden"))
        if filled:
            return None
        frame = frame.drop(unnamed)
    finished = _finish(frame, name, problems, max_cell_chars)
    if finished is None:
        return None
    dialect = f"CSV, {encoding}, {_SEPARATORS[sep]}"
    return Table(finished, name, decimal_comma=sep in (";", "\t"), dialect=dialect, separator=sep)


def _may_need_strip(data: bytes, sep: str, rows: int) -> bool:
    """Whether a cell may begin or end with white space.

    Why: stripping every cell costs as much as parsing the file, and a register extract
    usually has no white space at all. Single-byte searches settle it: no space, tab,
    vertical tab or form feed; every carriage return part of a line end; no lead byte of a
    non-ASCII white space character (U+0085, U+00A0, U+1680, U+2000–U+3000); and no quoted cell
    spanning lines. Otherwise every cell is stripped.
    """
    if sep == "\t" or any(b in data for b in (b" ", b"\t", b"\x0b", b"\x0c")):
        return True
    if not data.isascii() and any(b in data for b in (b"\xc2", b"\xe1", b"\xe2", b"\xe3")):
        return True
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return True
    return b'"' in data and data.count(b"\n") > rows + 1


def _polars_csv(data: bytes, sep: str) -> pl.DataFrame:
    return pl.read_csv(data, separator=sep, infer_schema=False, has_header=True, truncate_ragged_lines=False, raise_if_empty=False)


def _split_header(line: str, sep: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep), [])


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _from_cp1252(data: bytes, sep: str, header: bytes, name: str, problems: list[Problem]) -> bytes | None:
    """Swedish Excel's "CSV (semikolonavgränsad)": Windows-1252, re-encoded as UTF-8."""
    first_bad = 0
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if b"\xc3" in data and any(s in data for s in _UTF8_SWEDISH):
        problems.append(Problem(name, *_where(data, first_bad, sep, header), "filen blandar teckenkodningar (UTF-8 och en annan): spara om den som CSV UTF-8"))
        return None
    try:
        return data.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, *_where(data, exc.start, sep, header), "teckenkodningen känns inte igen (varken UTF-8 eller Windows-1252): spara som CSV UTF-8"))
        return None


def _field_counts_ok(data: bytes, frame: pl.DataFrame, sep: str, header: str, name: str, columns: list[str], problems: list[Problem]) -> bool:
    """Rows with too few fields, found without a pass per row when there are none.

    Polars refuses rows with too many fields and fills a short row's missing fields with null.
    So when the last column has no null no row is short; otherwise the delimiters in the file
    must add up to one fewer than the columns per line, plus those inside quoted cells. Only
    when they do not (a short row, or empty lines) is the file read again row by row.
    """
    n = len(columns)
    if n < 2 or frame.height == 0 or frame.get_column(columns[-1]).null_count() == 0:
        return True
    inside = 0
    if b'"' in data:
        inside = sum(v or 0 for v in frame.select(pl.all().str.join("").str.count_matches(sep, literal=True)).row(0))
        inside += header.count(sep) - (len(_split_header(header, sep)) - 1)
    if data.count(sep.encode()) == (n - 1) * (frame.height + 1) + inside:
        return True
    return _careful_csv(data, sep, name, columns, problems, build=False) is not None


def _careful_csv(data: bytes, sep: str, name: str, columns: list[str], problems: list[Problem], build: bool = True) -> pl.DataFrame | None:
    """The csv module's reading: rows with the wrong number of fields named by their line."""
    n = len(columns)
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows: list[list[str]] = []
    wrong = 0
    try:
        next(reader, None)  # the header, already read
        for record in reader:
            if len(record) == n or not any(cell.strip() for cell in record):
                if build:
                    rows.append(record if len(record) == n else [""] * n)
                continue
            wrong += 1
            if wrong <= MAX_REPORTED:
                k = len(record)
                where = columns[k] if k < n and not columns[k].startswith("_unnamed_") else str(min(k, n) + 1)
                what = "för få" if k < n else "för många"
                problems.append(Problem(name, reader.line_num, where, f"raden har {k} fält men rubrikraden {n}: {what} fält (avgränsare {_SEPARATORS[sep]})"))
    except csv.Error as exc:
        problems.append(Problem(name, reader.line_num, None, f"kan inte läsas som CSV: {str(exc).splitlines()[0]}"))
        return None
    if wrong:
        return None
    return pl.DataFrame(rows, schema={c: pl.String for c in columns}, orient="row")


# --------------------------------------------------------------------------------------------
# Excel


def _cell_text(value: object, column: str) -> str:
    """An Excel cell as the text the CSV format would hold.

    Whole numbers lose Excel's ".0"; a code column stored as a number gets its leading zeros
    back (a municipality code 180 is "0180"), as Excel silently drops them.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and float(value).is_integer():
        text = str(int(value))
        width = CODE_WIDTHS.get(column)
        return text.zfill(width) if width and len(text) < width else text
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


def _zip_ok(content: bytes, name: str, problems: list[Problem], max_unpacked_bytes: int) -> bool:
    """Refuse a workbook whose members would unpack to too much, before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        problems.append(Problem(name, None, None, f"kan inte läsas som Excel-fil (.xlsx): {exc}"))
        return False
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if unpacked > max_unpacked_bytes:
        problems.append(
            Problem(name, None, None, f"Excel-filen packas upp till {unpacked / 1e6:,.0f} MB, mer än gränsen {max_unpacked_bytes / 1e6:,.0f} MB: dela upp den eller spara som CSV".replace(",", " "))
        )
        return False
    worst = max((m.file_size / max(m.compress_size, 1) for m in members if m.file_size > XLSX_RATIO_FROM), default=0.0)
    overall = unpacked / max(packed, 1) if unpacked > XLSX_RATIO_FROM else 0.0
    if max(worst, overall) > XLSX_MAX_RATIO:
        problems.append(Problem(name, None, None, f"Excel-filen är packad {max(worst, overall):,.0f}:1, orimligt hårt (en zip-bomb?): filen läses inte".replace(",", " ")))
        return False
    return True


def _read_xlsx(content: bytes, name: str, problems: list[Problem], max_cell_chars: int, max_unpacked_bytes: int) -> Table | None:
    """The first sheet, header in row 1; rows keep Excel's numbering. Formulas count by their
    last computed value."""
    if not _zip_ok(content, name, problems, max_unpacked_bytes):
        return None
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        problems.append(Problem(name, None, None, f"kan inte läsas som Excel-fil (.xlsx): {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"))
        return None
    try:
        if not book.worksheets:
            problems.append(Problem(name, None, None, "arbetsboken har inget blad"))
            return None
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None) or ()
        header = ["" if v is None else str(v).strip() for v in header_row]
        while header and header[-1] == "":
            header.pop()
        if not _header_ok(header, name, problems, max_cell_chars):
            return None
        n = len(header)
        table: list[list[str]] = []
        outside = 0
        for r, values in enumerate(rows, start=2):
            cells = list(values)
            extra = [i for i, v in enumerate(cells[n:], start=n + 1) if v is not None and str(v).strip() != ""]
            if extra:
                outside += 1
                if outside <= MAX_REPORTED:
                    problems.append(Problem(name, r, str(extra[0]), "cellen står i en kolumn utan rubrik"))
            cells = cells[:n] + [None] * max(0, n - len(cells))
            table.append([_cell_text(value, column) for column, value in zip(header, cells, strict=True)])
        title = sheet.title
    except Exception as exc:
        problems.append(Problem(name, None, None, f"kan inte läsas som Excel-fil (.xlsx): {type(exc).__name__}"))
        return None
    finally:
        book.close()
    if outside:
        return None
    frame = pl.DataFrame(table, schema={c: pl.String for c in header}, orient="row")
    finished = _finish(frame, name, problems, max_cell_chars)
    if finished is None:
        return None
    # Numbers come out with a decimal point; a number typed as text in a Swedish Excel has a comma.
    return Table(finished, name, decimal_comma=True, dialect=f"Excel (.xlsx), blad {title!r}", separator=",")
