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
