"""The one table reader: dialects, memory uploads, and every problem named without its value."""

import io
import struct
import tracemalloc
import zipfile
import zlib

import polars as pl
import pytest

from likvard.data.tables import (
    MAX_CELL_CHARS,
    Table,
    Upload,
    looks_like_identity_number,
    read_table,
)

SWEDISH = [("Åsa Öberg", "Västerås", "1,5"), ("Örjan Ärlig", "Göteborg", "2"), ("Ängsbacka skola", "Luleå", "0,25")]


def _csv(rows, sep=";", header=("name", "city", "share")) -> str:
    return "\n".join(sep.join(r) for r in [header, *rows]) + "\n"


def _read(content: bytes, name: str = "t.csv", **kw) -> tuple[Table | None, list]:
    problems: list = []
    return read_table(Upload(name, content), problems, **kw), problems


def test_swedish_excel_semicolon_csv_in_windows_1252_reads_like_the_utf8_file():
    """Swedish Excel's "CSV (semikolonavgränsad)" is Windows-1252: å ä ö must come out right."""
    text = _csv(SWEDISH)
    cp, p1 = _read(text.encode("cp1252"))
    utf, p2 = _read(text.encode("utf-8"))
    assert p1 == [] and p2 == []
    assert cp is not None and utf is not None
    assert cp.frame.equals(utf.frame)
    assert cp.frame["name"].to_list() == ["Åsa Öberg", "Örjan Ärlig", "Ängsbacka skola"]
    assert "Windows-1252" in cp.dialect and "UTF-8" in utf.dialect
    assert cp.decimal_comma and cp.separator == ";"


def test_a_utf8_bom_and_windows_line_ends_are_read():
    table, problems = _read(("\ufeff" + _csv(SWEDISH).replace("\n", "\r\n")).encode("utf-8"))
    assert problems == [] and table is not None
    assert table.frame.columns == ["_row", "name", "city", "share"]
    assert table.frame["share"].to_list() == ["1,5", "2", "0,25"]
    assert "BOM" in table.dialect


def test_a_tab_separated_file_is_read():
    table, problems = _read(_csv(SWEDISH, sep="\t").encode("utf-8"), "export.txt")
    assert problems == [] and table is not None
    assert table.separator == "\t" and "tabb" in table.dialect
    assert table.frame.row(0) == (2, "Åsa Öberg", "Västerås", "1,5")


def test_a_comma_file_does_not_take_decimal_commas():
    table, _ = _read(b"a,b\n1,2\n")
    assert table is not None and not table.decimal_comma


def test_bytes_in_memory_and_a_path_give_the_same_table(tmp_path):
    content = _csv(SWEDISH).encode("cp1252")
    path = tmp_path / "skolor.csv"
    path.write_bytes(content)
    problems: list = []
    from_path = read_table(path, problems)
    from_bytes = read_table(Upload("skolor.csv", content), problems)
    assert problems == [] and from_path is not None and from_bytes is not None
    assert from_path.frame.equals(from_bytes.frame)
    assert (from_path.name, from_path.dialect) == (from_bytes.name, from_bytes.dialect) == ("skolor.csv", "CSV, Windows-1252, semikolon")


def test_cells_are_stripped_and_empty_cells_are_empty_text():
    table, _ = _read(b'a,b,c\n 1 ,"  x ",\n2,,"y\nz"\n')
    assert table is not None
    assert table.frame.rows() == [(2, "1", "x", ""), (3, "2", "", "y\nz")]


def test_rows_are_numbered_as_the_user_sees_them_and_empty_rows_after_the_data_are_dropped():
    table, problems = _read(b"a;b\n1;2\n;\n3;4\n;\n;\n\n")
    assert problems == [] and table is not None
    assert table.frame["_row"].to_list() == [2, 3, 4]  # the empty row between data rows stays
    assert table.frame["a"].to_list() == ["1", "", "3"]


def test_an_upload_never_shows_its_content():
    assert "199001011234" not in repr(Upload("pupils.csv", b"pupil_id\n199001011234\n"))


# --- problems, each with file, row and column, none with a cell's value -----------------------


def test_an_empty_file_is_a_problem():
    for content in (b"", b"\n\r\n", b"\xef\xbb\xbf"):
        table, problems = _read(content, "tom.csv")
        assert table is None and [str(p) for p in problems] == ["tom.csv: filen är tom"]


def test_a_nul_byte_is_refused_with_row_and_column():
    table, problems = _read(b"a,b\n1,2\n3,x\x00y\n", "binary.csv")
    assert table is None
    assert [(p.file, p.row, p.column) for p in problems] == [("binary.csv", 3, "b")]
    assert "NUL" in problems[0].message


def test_an_overlong_cell_is_refused_without_showing_it():
    secret = "199001011234" + "x" * MAX_CELL_CHARS
    table, problems = _read(f"pupil_id,area\nok,a\n{secret},b\n".encode(), "pupils.csv")
    assert table is None
    assert [(p.file, p.row, p.column) for p in problems] == [("pupils.csv", 3, "pupil_id")]
    assert "1012 tecken" in problems[0].message
    assert "199001011234" not in str(problems[0]) and "xxx" not in str(problems[0])
    assert read_table(Upload("p.csv", f"a\n{'x' * 1200}\n".encode()), [], max_cell_chars=2000) is not None


@pytest.mark.parametrize(
    ("header", "column", "words"),
    [(b"a,,c", "2", "tom kolumnrubrik"), (b"a,b,a", "a", "flera gånger"), (b"199001011234,b,c", "1", "rubrikrad saknas")],
)
def test_a_bad_header_is_refused_on_row_1(header, column, words):
    table, problems = _read(header + b"\n1,2,3\n", "h.csv")
    assert table is None
    assert [(p.row, p.column) for p in problems] == [(1, column)]
    assert words in problems[0].message
    assert "199001011234" not in str(problems[0])


def test_unnamed_columns_at_the_end_are_dropped_when_empty_and_refused_when_not():
    table, problems = _read(b"a;b;;\n1;2;;\n3;4;;\n")
    assert problems == [] and table is not None and table.frame.columns == ["_row", "a", "b"]
    table, problems = _read(b"a;b;;\n1;2;;\n3;4;;secret\n")
    assert table is None and [(p.row, p.column) for p in problems] == [(3, "4")]
    assert "secret" not in str(problems[0])


@pytest.mark.parametrize(
    ("content", "row", "column", "words"),
    [
        (b"a,b,c\n1,2,3\n4,5\n6,7,8\n", 3, "c", "för få"),
        (b"a,b,c\n1,2,3\n4,5,6,7\n6,7,8\n", 3, "4", "för många"),
        (b'a,b,c\n1,"x,y",3\n4,5\n', 3, "c", "för få"),  # the comma inside quotes is no delimiter
    ],
)
def test_a_row_with_the_wrong_number_of_fields_is_named(content, row, column, words):
    table, problems = _read(content, "f.csv")
    assert table is None
    assert [(p.file, p.row, p.column) for p in problems] == [("f.csv", row, column)]
    assert words in problems[0].message


def test_a_row_ending_in_an_empty_field_is_not_short():
    table, problems = _read(b"a,b,c\n1,2,\n4,5,6\n")
    assert problems == [] and table is not None and table.frame["c"].to_list() == ["", "6"]


def test_a_file_mixing_utf8_and_windows_1252_is_refused_rather_than_garbled():
    content = "namn;ort\nÅsa;Umeå\n".encode() + "Örjan;Västerås\n".encode("cp1252")
    table, problems = _read(content, "mix.csv")
    assert table is None
    assert [(p.row, p.column) for p in problems] == [(3, "namn")]
    assert "teckenkodningar" in problems[0].message


def test_the_old_binary_excel_format_gets_a_clear_message():
    table, problems = _read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "gammal.xls")
    assert table is None and ".xls" in problems[0].message


def test_identity_like_values_are_recognised_for_hiding():
    for value in ("199001011234", "900101-1234", "19900101-1234", "191212 12-1212", "20150312-TF12", "9001011234"):
        assert looks_like_identity_number(value), value
    for value in ("10230535", "0180", "demo-0032184", "275.0", "Rinkebyskolan"):
        assert not looks_like_identity_number(value), value


# --- Excel -----------------------------------------------------------------------------------


def _workbook(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for r in rows:
        book.active.append(list(r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_in_memory_reads_like_the_same_workbook_on_disk(tmp_path):
    content = _workbook([("school_unit_code", "name", "municipality_code"), (10230535, "Åsa skola", 180), (None, None, None)])
    path = tmp_path / "skolor.xlsx"
    path.write_bytes(content)
    problems: list = []
    on_disk = read_table(path, problems)
    in_memory = read_table(Upload("skolor.xlsx", content), problems)
    assert problems == [] and on_disk is not None and in_memory is not None
    assert on_disk.frame.equals(in_memory.frame)
    assert in_memory.frame.rows() == [(2, "10230535", "Åsa skola", "0180")]  # leading zero back, empty row dropped
    assert in_memory.dialect.startswith("Excel")


def test_a_workbook_cell_outside_the_named_columns_is_refused():
    table, problems = _read(_workbook([("a", "b"), (1, 2), (3, 4, "note")]), "w.xlsx")
    assert table is None and [(p.row, p.column) for p in problems] == [(3, "3")]
    assert "note" not in str(problems[0])


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive from (name, raw deflate data, crc, uncompressed size), written by hand so
    that a member can be far bigger unpacked than anything held in memory."""
    out = io.BytesIO()
    central = []
    for name, data, crc, size in members:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0) + encoded)
        out.write(data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    for entry in central:
        out.write(entry)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _bomb(unpacked: int = 1 << 30) -> bytes:
    """A real workbook whose first sheet is replaced by ``unpacked`` bytes of valid XML that
    deflate compresses about 1000:1 (identical full-flushed blocks, repeated)."""
    real = zipfile.ZipFile(io.BytesIO(_workbook([("a", "b"), (1, 2)])))
    members = []
    for info in real.infolist():
        raw = real.read(info)
        if info.filename != "xl/worksheets/sheet1.xml":
            members.append((info.filename, _deflate(raw), zlib.crc32(raw), len(raw)))
            continue
        head = raw[: raw.index(b"<sheetData>") + len(b"<sheetData>")]
        tail = raw[raw.index(b"</sheetData>") :]
        chunk = b" " * (1 << 20)  # white space between elements: the sheet stays valid XML
        n = -(-(unpacked - len(head) - len(tail)) // len(chunk))  # at least ``unpacked``
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
        block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
        assert c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH) == block  # the block repeats exactly
        data = first + block * n + c.compress(tail) + c.flush()
        crc = zlib.crc32(head)
        for _ in range(n):
            crc = zlib.crc32(chunk, crc)
        members.append((info.filename, data, zlib.crc32(tail, crc), len(head) + n * len(chunk) + len(tail)))
    return _zip(members)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _bomb()


def test_a_workbook_that_unpacks_to_a_gibibyte_is_refused_before_openpyxl_sees_it(bomb, monkeypatch):
    import openpyxl

    assert len(bomb) < 1_500_000
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) >= 1 << 30

    def not_called(*args, **kwargs):
        raise AssertionError("openpyxl must not open a workbook refused by its size")

    monkeypatch.setattr(openpyxl, "load_workbook", not_called)
    tracemalloc.start()
    try:
        table, problems = _read(bomb, "bomb.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert table is None
    assert [(p.file, p.row) for p in problems] == [("bomb.xlsx", None)]
    assert "packas upp till 1 074 MB" in problems[0].message and "200 MB" in problems[0].message
    assert peak < 5_000_000  # the archive's directory was read, nothing was inflated


def test_a_workbook_compressed_absurdly_is_refused_even_under_the_size_limit(bomb):
    table, problems = _read(_bomb(60 << 20), "bomb.xlsx")
    assert table is None and "zip-bomb" in problems[0].message
    # the size limit is a parameter
    table, problems = _read(_workbook([("a",), (1,)]), "small.xlsx", max_unpacked_bytes=1000)
    assert table is None and "mer än gränsen" in problems[0].message


def test_a_file_that_is_not_a_workbook_is_named():
    table, problems = _read(b"not a zip", "broken.xlsx")
    assert table is None and str(problems[0]).startswith("broken.xlsx: kan inte läsas som Excel-fil")


def test_reading_a_missing_path_is_a_problem(tmp_path):
    problems: list = []
    assert read_table(tmp_path / "saknas.csv", problems) is None
    assert [str(p) for p in problems] == ["saknas.csv: filen finns inte"]


def test_frame_columns_are_all_text(tmp_path):
    table, _ = _read(b"year;index\n2024;101,5\n")
    assert table is not None
    assert table.frame.schema == pl.Schema({"_row": pl.UInt32, "year": pl.String, "index": pl.String})


def test_a_workbook_that_understates_its_sizes_is_still_bounded_by_them(monkeypatch):
    """The declared sizes bound what is inflated: zipfile stops a member at its declared size."""
    real = zipfile.ZipFile(io.BytesIO(_workbook([("a", "b"), (1, 2)])))
    members = []
    for info in real.infolist():
        raw = real.read(info)
        if info.filename == "xl/worksheets/sheet1.xml":
            raw = raw.replace(b"<sheetData>", b"<sheetData>" + b" " * (50 << 20))  # 50 MB, declared as its real size below
            members.append((info.filename, _deflate(raw), zlib.crc32(raw), 4096))
        else:
            members.append((info.filename, _deflate(raw), zlib.crc32(raw), len(raw)))
    lying = _zip(members)
    inflated: list[int] = []
    original = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        data = original(self, n)
        inflated.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    table, problems = _read(lying, "lying.xlsx")
    assert table is None and "kan inte läsas som Excel-fil" in problems[0].message
    assert sum(inflated) < 1 << 20  # far less than the 50 MB the member would inflate to
