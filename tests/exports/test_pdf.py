"""A school's statement as an A4 PDF."""

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from likvard.data.synthetic_register import make_register
from likvard.engine.allocation import load_model, run
from likvard.exports.pdf import statement_html, statement_pdf
from likvard.money import format_ore

MODEL = Path(__file__).resolve().parents[2] / "models" / "stockholm-2024"
NAMED = ("52863414", "99000001", "63321041", "99648792", "99000002", "99000003", "99000004")


@pytest.fixture(scope="module")
def result():
    return run(load_model(MODEL), make_register(3_000, 20, seed=5, extra_codes=NAMED))


@pytest.fixture(scope="module")
def data(result):
    return result.to_dict()


def test_statement_html_escapes_names_and_shows_every_line(result, data):
    from dataclasses import replace

    s = replace(result.statements()[0], name="<script>alert(1)</script> skola")
    html = statement_html(s, data["model"], labels={"sender": "Utbildningsförvaltningen, Exempelby", "district": "Kommundel"}, today=dt.date(2026, 11, 24))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<tr><td") >= len(s.lines)
    assert format_ore(s.total_ore) in html
    assert 'lang="sv"' in html and "Exempelby" in html and "Kommundel" in html  # the municipality's own words


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_statement_pdf_is_a4_and_carries_name_lines_and_total(tmp_path, result, data):
    st = next(x for x in result.statements() if x.operator == "independent")
    s = st.to_dict()
    sources = {c["id"]: c["source"] for c in data["components"]}
    pdf = statement_pdf(st, data["model"], sources, today=dt.date(2026, 11, 24))
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert s["name"] in text
    assert "Momskompensation" in text  # the independent school's VAT line
    total = format_ore(s["total_ore"]).replace("\u00a0", " ")
    assert total in text.replace("\u00a0", " ")
    # tagged PDF/UA: structure tree, language and the title shown instead of the file name
    assert re.search(r"Tagged:\s+yes", info) and s["name"] in info
    struct = subprocess.run(["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True).stdout
    assert "H1 (block)" in struct and "Table (block)" in struct and "TH" in struct
    meta = subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, text=True, check=True).stdout
    assert 'pdfuaid:part="1"' in meta


def _long_statement(result, n=60, per_component=5):
    """A statement of ``n`` lines whose explanations wrap over several lines, each marked at its
    start and end, with an amount of its own: long enough for three pages."""
    from dataclasses import replace

    from likvard.engine.allocation import StatementLine

    lines = tuple(
        StatementLine(
            component=f"komponent{i // per_component:02d}",
            label=f"Komponent {i // per_component:02d} med en etikett som radbryts i kolumnen",
            line=f"rad {i}",
            quantity=float(10 + i),
            rate_ore=100_000,
            amount_ore=(700_000 + i) * 100 + 1,
            template=f"Start{i:03d} {{q}} elever × {{r}}, en förklaring som är så lång att den bryts över flera rader i sin cell Slut{i:03d}",
        )
        for i in range(n)
    )
    return replace(result.statements()[0], lines=lines)


def _pages(path):
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout).group(1))
    return [
        subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout.replace("\u00a0", " ")
        for n in range(1, pages + 1)
    ]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_no_statement_line_is_split_across_pages(tmp_path, result, data):
    st = _long_statement(result)
    path = tmp_path / "long.pdf"
    path.write_bytes(statement_pdf(st, data["model"], {}, labels=data["labels"], today=dt.date(2026, 11, 24)))
    pages = _pages(path)
    assert len(pages) >= 2
    for i, ln in enumerate(st.lines):
        amount = format_ore(ln.amount_ore).replace("\u00a0", " ")
        where = {what: [n for n, text in enumerate(pages) if what in text] for what in (f"Start{i:03d}", f"Slut{i:03d}", amount)}
        assert all(len(found) == 1 for found in where.values()), where
        assert len({found[0] for found in where.values()}) == 1, f"line {i} is split across pages: {where}"
    # the table header on every page, the sender on the first, the footer on each
    assert all("Förklaring" in text and "Summa" in text for text in pages)
    assert "Utbildningsförvaltningen, Stockholms stad" in pages[0]
    assert all(f"Sida {n} av {len(pages)}" in text for n, text in enumerate(pages, start=1))
    # the total is not left alone at the top of a page
    last = pages[-1].split("Förklaring", 1)[1]
    assert "Start059" in last and format_ore(st.total_ore).replace("\u00a0", " ") in last


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_a_short_components_lines_stay_on_one_page(tmp_path, result, data):
    st = _long_statement(result, n=45, per_component=3)
    path = tmp_path / "pairs.pdf"
    path.write_bytes(statement_pdf(st, data["model"], {}, labels=data["labels"], today=dt.date(2026, 11, 24)))
    pages = _pages(path)
    assert len(pages) >= 2
    page_of = {i: next(n for n, text in enumerate(pages) if f"Start{i:03d}" in text) for i in range(len(st.lines))}
    assert all(page_of[i] == page_of[i + 1] == page_of[i + 2] for i in range(0, len(st.lines), 3)), page_of
