"""A school's statement as an A4 PDF (WeasyPrint), one school per document.

Why: statements go out to principals and independent schools as documents they can file and
forward. The layout follows the city's document conventions as far as free fonts allow: A4,
generous margins, the sender and date at the top, left-aligned headings, amounts right-aligned
in tabular figures with a space as thousands separator, the source of every rule in a note
column, and the page number in the footer. Everything is escaped; no remote resources.

Page breaks: a line is never split across pages (its amount beside its explanation), the table
header is repeated on every page, a component's first line (which names it) is not left alone
at the foot of a page, a short component is kept on one page (see ``KEEP_TOGETHER_MM``), and
the total and the closing note are not carried alone onto a new page.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from likvard.engine.allocation import Statement, format_quantity
from likvard.money import format_ore

#: The organiser types as a statement names them.
OPERATORS = {
    "municipal": "kommunal skola (egen regi)",
    "independent": "fristående skola",
    "other_municipality": "skola i annan kommun",
    "state": "statlig skola",
}

_CSS = """
@page { size: A4; margin: 20mm 18mm 22mm 22mm;
  @bottom-left { content: "Likvärd — resursfördelning"; font-family: "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 8pt; color: #555; }
  @bottom-right { content: "Sida " counter(page) " av " counter(pages); font-family: "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 8pt; color: #555; } }
body { font-family: "Arial", "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #111; line-height: 1.35; }
header { border-bottom: 2px solid #003b6f; padding-bottom: 4mm; margin-bottom: 6mm; }
header .sender { font-size: 9pt; color: #003b6f; font-weight: bold; letter-spacing: 0.02em; }
header .meta { font-size: 8.5pt; color: #333; }
h1 { font-size: 16pt; margin: 0 0 2mm 0; color: #003b6f; }
h2 { font-size: 11pt; margin: 6mm 0 2mm 0; color: #003b6f; }
table { width: 100%; border-collapse: collapse; }
table.lines { table-layout: fixed; }
table.lines col.c1 { width: 27%; } table.lines col.c2 { width: 33%; } table.lines col.c3 { width: 8%; }
table.lines col.c4 { width: 14%; } table.lines col.c5 { width: 18%; }
.src { display: block; font-size: 7pt; color: #555; margin-top: 0.5mm; }
th { text-align: left; font-weight: bold; border-bottom: 1px solid #003b6f; padding: 1.5mm 1mm; font-size: 8.5pt; }
td { border-bottom: 0.5px solid #ccc; padding: 1.5mm 1mm; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
tbody.keep { break-inside: avoid; }
tbody.component > tr:first-child:not(:last-child) { break-after: avoid; }
tbody.total { break-before: avoid; }
tr.total td { border-top: 1.5px solid #111; border-bottom: none; font-weight: bold; }
.note { font-size: 8pt; color: #444; break-before: avoid; }
.facts td { border: none; padding: 0.5mm 4mm 0.5mm 0; }
.warning { border-left: 3px solid #b35900; padding: 1mm 3mm; background: #fff4e5; font-size: 8.5pt; }
"""


#: A component's lines are kept on one page when they take at most about a third of it
#: (A4 less margins is about 255 mm); longer components break between lines, never inside one.
#: Why not always: a component of many long lines would leave most of a page empty.
KEEP_TOGETHER_MM = 85.0


def _row_height_mm(label: str, source: str, explanation: str) -> float:
    """A table row's height, estimated from its columns' widths at 9.5 pt (about 28 characters
    a line in the first column, 34 in the explanation, 45 in the 7 pt source note)."""
    lines = max(-(-len(label) // 28) + -(-len(source) // 45), -(-len(explanation) // 34), 1)
    return 4.5 * lines + 3.2


_qty = format_quantity


def statement_html(
    statement: Statement,
    model: dict[str, Any],
    sources: dict[str, str] | None = None,
    *,
    labels: dict[str, str] | None = None,
    today: dt.date | None = None,
) -> str:
    """HTML of one school's statement; ``labels`` holds the municipality's sender and its
    word for a district (the model's ``sender`` and ``district_label``)."""
    sources = sources or {}
    labels = labels or {}
    today = today or dt.date.today()
    s = statement
    groups: list[tuple[list[str], float]] = []  # a component's rows and their estimated height
    previous = None
    for ln in s.lines:
        first = ln.component != previous
        previous = ln.component
        source = sources.get(ln.component, "").split(":")[0] if first else ""
        label = f"{escape(ln.label)}<span class='src'>{escape(source)}</span>" if first else ""
        if first:
            groups.append(([], 0.0))
        rows, height = groups[-1]
        rows.append(
            "<tr>"
            f"<td>{label}</td>"
            f"<td>{escape(ln.explanation)}</td>"
            f"<td class='num'>{_qty(ln.quantity)}</td>"
            f"<td class='num'>{escape(format_ore(ln.rate_ore)) if ln.rate_ore is not None else ''}</td>"
            f"<td class='num'>{escape(format_ore(ln.amount_ore))}</td>"
            "</tr>"
        )
        groups[-1] = (rows, height + _row_height_mm(ln.label if first else "", source, ln.explanation))
    bodies = "".join(
        f"<tbody class='component{' keep' if height <= KEEP_TOGETHER_MM else ''}'>{''.join(rows)}</tbody>" for rows, height in groups
    )
    facts = [
        ("Skolenhetskod", s.school_unit_code),
        ("Huvudman", OPERATORS.get(s.operator, s.operator)),
        (labels.get("district") or "Stadsdel", s.district or "–"),
        ("Elever (folkbokförda i kommunen)", _qty(s.pupils)),
    ]
    if s.index is not None:
        facts.append(("Socioekonomiskt index (glidande medelvärde)", f"{s.index:.1f}".replace(".", ",")))
    if s.need_quartile:
        facts.append(("Kvartil (4 = störst behov)", str(s.need_quartile)))
    if s.per_pupil_ore is not None:
        facts.append(("Per elev", format_ore(s.per_pupil_ore)))
    fact_rows = "".join(f"<tr><td>{escape(k)}</td><td><strong>{escape(str(v))}</strong></td></tr>" for k, v in facts)
    warnings = []
    component_labels = {ln.component: ln.label for ln in s.lines}
    shown = [component_labels[c] for c in model.get("illustrative_components", []) if c in component_labels]
    if shown:
        warnings.append("Exempelvärden (källan, bilaga 5, saknas): " + escape("; ".join(shown)) + ".")
    if s.synthetic:
        warnings.append("Skolan är påhittad för demokommunen (syntetiska data).")
    if model.get("data_source"):
        warnings.append("Data: " + escape(model["data_source"]))
    warning_html = "".join(f"<p class='warning'>{w}</p>" for w in warnings)
    return f"""<!DOCTYPE html>
<html lang="sv"><head><meta charset="utf-8"><title>Resursfördelning {escape(str(model['year']))} — {escape(s.name or '')}</title>
<style>{_CSS}</style></head><body>
<header><div class="sender">{escape(labels.get("sender") or "Utbildningsförvaltningen")}</div>
<div class="meta">Beräkning av resursfördelning {escape(str(model['year']))} · modell {escape(model['id'])} · {today.isoformat()}</div></header>
<h1>{escape(s.name or '')}</h1>
<table class="facts">{fact_rows}</table>
{warning_html}
<h2>Beräkning per komponent</h2>
<table class="lines"><colgroup><col class="c1"><col class="c2"><col class="c3"><col class="c4"><col class="c5"></colgroup>
<thead><tr><th scope="col">Komponent och regel</th><th scope="col">Förklaring</th><th scope="col" class="num">Antal</th><th scope="col" class="num">Per enhet</th><th scope="col" class="num">Summa</th></tr></thead>
{bodies}
<tbody class="total"><tr class="total"><td colspan="4">Summa</td><td class="num">{escape(format_ore(s.total_ore))}</td></tr></tbody>
</table>
<p class="note">Beloppen är exakta till öret. Socioekonomisk ersättning visas som basbelopp och indexandel. Momskompensation till fristående skolor ligger utanför potterna.</p>
</body></html>"""


def statement_pdf(
    statement: Statement,
    model: dict[str, Any],
    sources: dict[str, str] | None = None,
    *,
    labels: dict[str, str] | None = None,
    today: dt.date | None = None,
) -> bytes:
    """The statement as PDF bytes (A4), tagged as PDF/UA-1.

    Why PDF/UA: documents a public authority publishes fall under the accessibility law as
    web pages do (DOS-lagen, WCAG 2.1 AA); a tagged PDF with its language and title lets a
    screen reader read the table as a table.
    """
    from weasyprint import HTML

    html = statement_html(statement, model, sources, labels=labels, today=today)
    pdf = HTML(string=html, base_url=None).write_pdf(pdf_variant="pdf/ua-1")
    assert pdf is not None
    return bytes(pdf)
