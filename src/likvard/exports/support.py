"""What central support schools got (seed 004's answer) as a tagged PDF and a Word document."""

from __future__ import annotations

import io
from html import escape
from typing import Any

STATUS = {"offered": "Erbjuden", "planned": "Planerad", "ongoing": "Pågår", "finished": "Avslutad"}


def title(doc: dict[str, Any]) -> str:
    return f"Centralt stöd till skolorna {doc['from']}–{doc['to']}"


def _period(i: dict[str, Any]) -> str:
    return str(i["start"]) if i["start"] == i["end"] else f"{i['start']}–{i['end']}"


def support_html(doc: dict[str, Any]) -> str:
    e = escape
    css = (
        '@page { size: A4; margin: 20mm 18mm; @bottom-right { content: "Sida " counter(page) " av " counter(pages); font-size: 8pt; color: #555; } }'
        'body { font-family: "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 9.5pt; } h1 { font-size: 16pt; color: #003b6f; } '
        "h2 { font-size: 12pt; color: #003b6f; margin-top: 6mm; break-after: avoid; } table { width: 100%; border-collapse: collapse; } "
        "th { text-align: left; border-bottom: 1px solid #003b6f; padding: 1.2mm; font-size: 8.5pt; } td { border-bottom: 0.5px solid #ccc; padding: 1.2mm; vertical-align: top; } "
        "tr { break-inside: avoid; } .note { font-size: 8pt; color: #444; } td.period { white-space: nowrap; }"
    )
    parts = [f'<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>{e(title(doc))}</title><style>{css}</style></head><body><h1>{e(title(doc))}</h1>']
    parts.append('<p class="note">Insatser från den centrala förvaltningen per skola: vad, från vem, när och med vilken status. Syntetiska poster (demo) är markerade.</p>')
    for s in doc["schools"]:
        parts.append(f"<h2>{e(s['name'])} ({e(s['school_unit_code'])})</h2>")
        if not s["interventions"]:
            parts.append("<p>Inga insatser under perioden.</p>")
            continue
        parts.append('<table><thead><tr><th scope="col">Insats</th><th scope="col">Utförare</th><th scope="col">Period</th><th scope="col">Status</th></tr></thead><tbody>')
        for i in s["interventions"]:
            mark = " (syntetisk)" if i["synthetic"] else ""
            note = f'<br><span class="note">{e(i["note"])}</span>' if i["note"] and not i["synthetic"] else ""
            parts.append(f"<tr><td>{e(i['name'])}{mark}{note}</td><td>{e(i['provider'] or '–')}</td><td class=\"period\">{e(_period(i))}</td><td>{e(STATUS.get(i['status'], i['status']))}</td></tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)


def support_pdf(doc: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=support_html(doc), base_url=None).write_pdf(pdf_variant="pdf/ua-1")
    return pdf


def support_docx(doc: dict[str, Any]) -> bytes:
    from docx import Document

    from .report import docx_table

    d = Document()
    d.core_properties.title = title(doc)
    d.core_properties.language = "sv-SE"
    d.add_heading(title(doc), level=0)
    for s in doc["schools"]:
        d.add_heading(f"{s['name']} ({s['school_unit_code']})", level=1)
        if not s["interventions"]:
            d.add_paragraph("Inga insatser under perioden.")
            continue
        docx_table(d, ("Insats", "Utförare", "Period", "Status"), [
            (i["name"] + (" (syntetisk)" if i["synthetic"] else ""), i["provider"] or "–", _period(i), STATUS.get(i["status"], i["status"])) for i in s["interventions"]
        ])
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()
