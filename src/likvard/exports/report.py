"""The committee's tertial and annual reports (T1, T2, verksamhetsberättelse) as a tagged PDF
(WeasyPrint, PDF/UA-1) and as an editable Word document (python-docx).

Why both: the PDF goes to the committee as it is; the analysts finish the text in Word, as
they do today, so the DOCX has real headings, tables and editable paragraphs for every goal's
analysis. Both are drafts built from ``likvard.workflows.goals.report`` (the same figures as
the web page); the status rule is printed in each.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from html import escape
from typing import Any

from likvard.money import format_ore
from likvard.workflows.goals import walk_goals

from .charts import indicator_spec, render

PERIOD_TITLES = {"T1": "Tertialrapport 1", "T2": "Tertialrapport 2", "year": "Verksamhetsberättelse"}
LEVEL_LABELS = {"direction": "KF:s inriktningsmål", "area": "KF:s mål för verksamhetsområdet", "committee": "Nämndmål"}
STATUS = {"met": "Uppfyllt", "partly_met": "Delvis uppfyllt", "not_met": "Ej uppfyllt", "no_data": "Uppgift saknas", "no_target": "Årsmål saknas"}
TREND = {"improving": "förbättras", "stable": "oförändrat", "worsening": "försämras", "too_short": "för kort tidsserie"}
ACTIVITY = {"planned": "Planerad", "ongoing": "Pågår", "done": "Genomförd", "postponed": "Uppskjuten", "cancelled": "Avbruten"}
RULE = (
    "Status: uppfyllt när utfallet når årsmålet, delvis uppfyllt när det ligger högst 5 % av målvärdet från det, "
    "annars ej uppfyllt (riktningen beaktas: för sjukfrånvaro är lägre bättre). Staden är medelvärdet av kommunens egna skolor, "
    "viktat med antalet elever, om inte en inläst fil anger stadens värde. Grupper under 10 elever visas som .."
)


#: The annual report's section on the money question (seed 001 R3, L276–282, L294–304; seed 002
#: L212–230; docs/methods/money-and-results.md): the same figures as the results page.
MONEY_TITLE = "Pengar och resultat"
MONEY_OUTCOMES = {"merit_value": "Meritvärde", "eligible_vocational": "Behörighet till yrkesprogram"}
MONEY_UNITS = {"merit_value": "meritpoäng", "eligible_vocational": "procentenheter"}
MONEY_INTRO = (
    "Socioekonomisk ersättning per elev (skolans socioekonomiska rader i resursfördelningen delat med skolans elever) "
    "jämförd med skolans förädlingsvärde (faktiskt − förväntat resultat i årskurs 9), för kommunens skolor år för år. "
    "Korrelationen (Pearson) gäller över skolor, med antalet skolor (n). Kvartil 1 är den fjärdedel av skolorna som har "
    "minst pengar per elev, kvartil 4 den som har mest; för varje kvartil visas förädlingsvärdet för kvartilens elever "
    "sammantaget och spannet av ersättning per elev. Förändring inom skolor: korrelationen mellan ändrad ersättning och "
    "ändrat förädlingsvärde från året före, för skolor som finns med båda åren."
)
MONEY_CAVEAT_TITLE = "Vad jämförelsen kan och inte kan visa"
MONEY_CAVEAT = (
    "Jämförelsen beskriver, den mäter inte vad pengarna åstadkommer. Ersättningen "
    "följer elevernas behov: skolor med mycket pengar per elev har just därför elever med svårare förutsättningar, och "
    "förväntat resultat fångar inte allt som följer med det. Ett samband över skolor är därför inte pengarnas effekt; "
    "förvaltningen vet inte vilka resultat skolorna hade haft med en annan fördelning.",
    "Förädlingsvärdet för en skola med få elever i årskurs 9 varierar mycket av en slump från år till år, och ett ovanligt "
    "högt eller lågt år följs ofta av ett mer vanligt (regression mot medelvärdet). Skolor med färre än 10 elever i "
    "årskurs 9 visas som .. och ingår inte i sambandet eller i kvartilerna.",
    "Det jämförelsen kan visa: om skolorna med mest pengar per elev som grupp gör bättre eller sämre än förväntat, hur "
    "olika det går för skolor med ungefär lika mycket pengar (spridningen inom en kvartil), och hur en skolas "
    "förädlingsvärde rör sig när dess ersättning ändras.",
)
MONEY_HEADERS = ("År", "Skolor (n)", "Korrelation", "Kvartil 1 (minst)", "Kvartil 2", "Kvartil 3", "Kvartil 4 (mest)", "Förändring inom skolor")


def signed(value: float | None, outcome: str) -> str:
    """A value added with its sign ("+13,7", "−1,2"); eligibility in percentage points; ".."
    when hidden."""
    if value is None:
        return ".."
    shown = value * 100 if outcome == "eligible_vocational" else value
    text = f"{shown:+.1f}".replace(".", ",").replace("-", "\u2212")
    return text[1:] if text in ("+0,0", "\u22120,0") else text


def correlation_text(value: float | None) -> str:
    return "." if value is None else f"{value:.2f}".replace(".", ",").replace("-", "\u2212")


def money_rows(outcome: dict[str, Any]) -> list[dict[str, Any]]:
    """One outcome's city figures per year, as text: year, n, correlation, the four quartiles
    (value added and the span of money per pupil) and the within-school change."""
    rows = []
    for y in outcome["years"]:
        quartiles = [
            {"mean": ".." if q["suppressed"] else signed(q["mean_value_added"], outcome["outcome"]), "range": f"{kronor(q['lowest_ore'])[:-3]}–{kronor(q['highest_ore'])}"}
            for q in y["quartiles"]
        ] or [{"mean": "..", "range": ""}] * 4
        change = y["change"]
        rows.append({
            "year": str(y["year"]), "n": str(y["n"]), "correlation": correlation_text(y["correlation"]), "quartiles": quartiles,
            "change": f"{correlation_text(change['correlation'])} (n = {change['n']})" if change else "–",
        })
    return rows


def kronor(ore: int) -> str:
    """Money per pupil for reading, in whole kronor (half to even); the figures stay in öre."""
    kr, rest = divmod(ore, 100)
    if rest > 50 or (rest == 50 and kr % 2):
        kr += 1
    return format_ore(kr * 100)


def model_groups(notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The years whose money is computed with a model other than the year's own rules, grouped
    by model: ``years`` ("2021, 2022, 2023"), ``model_id``, ``model_year``, ``reconciled``
    (every run of the group reconciled); ``model_year`` None when the model is not today's."""
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for n in notes:
        if n["other_model"] or n["unknown_model"]:
            groups.setdefault((n["model_id"], n["model_year"]), []).append(n)
    return [
        {"years": ", ".join(str(n["year"]) for n in ns), "model_id": model_id, "model_year": model_year, "reconciled": all(n["reconciled"] for n in ns)}
        for (model_id, model_year), ns in groups.items()
    ]


def money_notes(section: dict[str, Any]) -> list[str]:
    """Which years' money is computed with a model other than that year's own rules."""
    out = []
    for g in model_groups(section["notes"]):
        if g["model_year"] is None:
            out.append(f"{g['years']}: beräknat med modellen {g['model_id']}.")
            continue
        text = f"{g['years']}: beräknat med nuvarande modell ({g['model_id']}, {g['model_year']} års regler) på respektive års register, inte med de regler som gällde då."
        if not g["reconciled"]:
            text += " Alla potter stämmer inte av de åren (se körningarna); den socioekonomiska ersättningen är ändå beräknad på varje års elever och index."
        out.append(text)
    return out


def _money_chart(outcome: dict[str, Any], width: int, height: int, title: str = "") -> dict[str, Any] | None:
    shown = [y for y in outcome["years"] if y["quartiles"]]
    if not shown:
        return None
    scale = 100.0 if outcome["outcome"] == "eligible_vocational" else 1.0
    labels = ("Kvartil 1 (minst)", "Kvartil 2", "Kvartil 3", "Kvartil 4 (mest)")  # short: the PDF's font is wider than the one the chart is measured with
    series = {labels[i]: [None if y["quartiles"][i]["mean_value_added"] is None else round(y["quartiles"][i]["mean_value_added"] * scale, 2) for y in shown] for i in range(4)}
    spec = indicator_spec(series, [str(y["year"]) for y in shown], title=title, unit=MONEY_UNITS[outcome["outcome"]], target=0.0, width=width, height=height)
    spec["padding"] = {"left": 5, "top": 5, "bottom": 5, "right": 40}  # room for the legend in the PDF's wider font
    return money_chart_words(spec, "år", "förädlingsvärde", "kvartil")


def money_chart_words(spec: dict[str, Any], x: str, y: str, series: str) -> dict[str, Any]:
    """The indicator chart's axis and legend words for the money chart (years, value added,
    quartiles instead of periods, outcome, series)."""
    encoding = spec["layer"][0]["encoding"]
    encoding["x"]["title"], encoding["y"]["title"], encoding["color"]["title"] = x, y, series
    for tip, word in zip(encoding["tooltip"], (series, x, y), strict=True):
        tip["title"] = word
    return spec


def _money_html(section: dict[str, Any], charts: bool) -> str:
    e = escape
    parts = [f"<h2>{e(MONEY_TITLE)}</h2><p>{e(MONEY_INTRO)}</p>"]
    # the caveats before the figures: what the table cannot show is read first
    parts.append(f'<h3>{e(MONEY_CAVEAT_TITLE)}</h3><div class="analysis">' + "".join(f"<p>{e(t)}</p>" for t in MONEY_CAVEAT) + "</div>")
    parts.extend(f'<p class="note">{e(t)}</p>' for t in money_notes(section))
    for o in section["outcomes"]:
        label = MONEY_OUTCOMES.get(o["outcome"], o["outcome"])
        parts.append(f"<h3>{e(label)} ({e(MONEY_UNITS.get(o['outcome'], ''))})</h3>")
        rows = money_rows(o)
        if not rows:
            parts.append('<p class="empty">Inga år med både resursfördelning och resultat.</p>')
            continue
        heads = [f'<th scope="col">{e(MONEY_HEADERS[0])}</th>', *(f'<th scope="col" class="num">{e(h)}</th>' for h in MONEY_HEADERS[1:])]
        parts.append("<table><thead><tr>" + "".join(heads) + "</tr></thead><tbody>")
        for r in rows:
            cells = "".join(f'<td class="num">{e(q["mean"])}<br><span class="note">{e(q["range"])}</span></td>' for q in r["quartiles"])
            parts.append(f'<tr><td>{e(r["year"])}</td><td class="num">{e(r["n"])}</td><td class="num">{e(r["correlation"])}</td>{cells}<td class="num">{e(r["change"])}</td></tr>')
        parts.append("</tbody></table>")
        spec = _money_chart(o, 420, 150) if charts else None
        if spec is not None:
            svg = str(render(spec, "svg"))
            if "<svg" in svg:
                parts.append(f"<figure>{svg[svg.index('<svg'):]}<figcaption>{e(label)}: förädlingsvärde ({e(MONEY_UNITS[o['outcome']])}) per år för varje kvartil av ersättning per elev; streckad linje = som förväntat (siffrorna i tabellen ovan).</figcaption></figure>")
    return "".join(parts)


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ".."
    text = (f"{value:.0f}" if unit == "st" else f"{value:.1f}").replace(".", ",").replace("-", "−")
    return f"{text} %" if unit == "%" else (f"{text} {unit}" if unit in ("st",) else text)


def target_text(i: dict[str, Any]) -> str:
    if i["target"] is not None:
        return ("±" if i["plus_minus"] else "") + number(i["target"], i["unit"])
    return i["target_text"] or "–"


def summary_text(doc: dict[str, Any]) -> str:
    """"Av 60 indikatorer: 8 uppfyllda, …" in the plan's words."""
    counts = " · ".join(f"{label} {doc['summary'][k]}" for k, label in STATUS.items() if doc["summary"].get(k))  # the rule's order, whatever the dict's
    return f"Stadens {doc['indicators']} indikatorer: {counts}."


def title(doc: dict[str, Any]) -> str:
    return f"{PERIOD_TITLES[doc['period']]} {doc['year']}"


def _chart_svg(i: dict[str, Any]) -> str:
    """The city's series as an SVG (no script, no remote resource), or "" when too short."""
    series = i["series"]
    if len([v for v in series["values"] if v is not None]) < 2:
        return ""
    spec = indicator_spec({"Staden": series["values"]}, series["periods"], title="", unit=i["unit"], target=i["target"], width=360, height=120)
    svg = str(render(spec, "svg"))
    return svg[svg.index("<svg"):] if "<svg" in svg else ""


_CSS = """
@page { size: A4; margin: 20mm 18mm 20mm 22mm;
  @bottom-right { content: "Sida " counter(page) " av " counter(pages); font-family: "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 8pt; color: #555; } }
body { font-family: "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #111; line-height: 1.35; }
h1 { font-size: 18pt; color: #003b6f; margin: 0 0 3mm 0; }
h2 { font-size: 13pt; color: #003b6f; margin: 7mm 0 2mm 0; break-after: avoid; }
h3 { font-size: 11pt; color: #003b6f; margin: 5mm 0 2mm 0; break-after: avoid; }
h4 { font-size: 10pt; margin: 4mm 0 1.5mm 0; break-after: avoid; }
table { width: 100%; border-collapse: collapse; margin: 1mm 0 3mm 0; }
th { text-align: left; border-bottom: 1px solid #003b6f; padding: 1.2mm 1mm; font-size: 8.5pt; }
td { border-bottom: 0.5px solid #ccc; padding: 1.2mm 1mm; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
.note { font-size: 8pt; color: #444; }
.analysis { border-left: 3px solid #003b6f; padding: 1mm 3mm; margin: 2mm 0; }
.empty { color: #666; font-style: italic; }
figure { margin: 1mm 0 3mm 0; break-inside: avoid; }
figcaption { font-size: 8pt; color: #444; }
"""


def report_html(doc: dict[str, Any], *, charts: bool = True) -> str:
    """The report as one HTML document for WeasyPrint (escaped throughout)."""
    e = escape
    parts = [f'<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>{e(title(doc))}</title><style>{_CSS}</style></head><body>']
    parts.append(f"<h1>{e(title(doc))}</h1><p>{e(doc['organisation'])}. Utkast framtaget ur Likvärd.</p>")
    parts.append("<p>" + e(summary_text(doc)) + "</p>")
    parts.append(f'<p class="note">{e(RULE)}</p>')
    parts.append(f'<h2>Sammanfattning</h2><div class="analysis">{_paragraphs(doc["introduction"])}</div>')
    for g, depth in walk_goals(doc["goals"]):
        h = ("h2", "h3", "h4")[min(depth, 2)]
        code = f" {g['code']}" if g["numbered"] or g["level"] != "committee" else ""
        parts.append(f"<{h}>{e(LEVEL_LABELS[g['level']])}{e(code)}: {e(g['text'])}</{h}>")
        if g["expected_results"]:
            parts.append("<p><strong>Förväntat resultat</strong></p><ul>" + "".join(f"<li>{e(r)}</li>" for r in g["expected_results"]) + "</ul>")
        if g["indicators"]:
            parts.append('<table><thead><tr><th scope="col">Indikator</th><th scope="col" class="num">Årsmål</th><th scope="col">Period</th><th scope="col" class="num">Utfall</th><th scope="col" class="num">Flickor</th><th scope="col" class="num">Pojkar</th><th scope="col">Status</th><th scope="col">Trend</th></tr></thead><tbody>')
            for i in g["indicators"]:
                girls = number(i["genders"].get("flickor"), i["unit"]) if i["by_gender"] and i["period"] else "–"
                boys = number(i["genders"].get("pojkar"), i["unit"]) if i["by_gender"] and i["period"] else "–"
                parts.append(f"<tr><td>{e(i['name'])}</td><td class=\"num\">{e(target_text(i))}</td><td>{e(i['period'] or '–')}</td><td class=\"num\">{e(number(i['value'], i['unit']) if i['period'] else '–')}</td><td class=\"num\">{e(girls)}</td><td class=\"num\">{e(boys)}</td><td>{e(STATUS[i['status']])}</td><td>{e(TREND[i['trend']])}</td></tr>")
            parts.append("</tbody></table>")
            if charts:
                for i in g["indicators"]:
                    svg = _chart_svg(i)
                    if svg:
                        parts.append(f'<figure>{svg}<figcaption>{e(i["name"])}: staden per period, årsmålet som streckad linje (siffrorna i tabellen ovan).</figcaption></figure>')
        if g["activities"]:
            parts.append('<table><thead><tr><th scope="col">Aktivitet</th><th scope="col">Start</th><th scope="col">Slut</th><th scope="col">Status</th></tr></thead><tbody>')
            for a in g["activities"]:
                comment = f" – {e(a['comment'])}" if a["comment"] else ""
                parts.append(f"<tr><td>{e(a['text'])}</td><td>{e(a['start'])}</td><td>{e(a['end'])}</td><td>{e(ACTIVITY.get(a['status'], a['status']))}{comment}</td></tr>")
            parts.append("</tbody></table>")
        if g["level"] == "committee" or g["indicators"]:
            parts.append(f'<p><strong>Analys</strong></p><div class="analysis">{_paragraphs(g["text_analysis"])}</div>')
    if doc.get("money"):
        parts.append(_money_html(doc["money"], charts))
    parts.append("</body></html>")
    return "".join(parts)


def _paragraphs(text: str) -> str:
    if not text.strip():
        return '<p class="empty">Analysen är inte skriven ännu.</p>'
    return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def report_pdf(doc: dict[str, Any], *, charts: bool = True) -> bytes:
    """A tagged PDF (PDF/UA-1) of the report. The same report gives the same bytes, so the
    last few are kept: a 25-page report takes WeasyPrint seconds, and a committee's members
    download the same one."""
    return _pdf(json.dumps(doc, ensure_ascii=False), charts)


@lru_cache(maxsize=4)
def _pdf(doc_json: str, charts: bool) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=report_html(json.loads(doc_json), charts=charts), base_url=None).write_pdf(pdf_variant="pdf/ua-1")
    return pdf


def report_docx(doc: dict[str, Any], *, charts: bool = True) -> bytes:
    """An editable Word document: headings by goal level, a table of indicators per goal,
    the activities, and an analysis paragraph for the analyst to write (kept like the PDF)."""
    return _docx(json.dumps(doc, ensure_ascii=False), charts)


@lru_cache(maxsize=4)
def _docx(doc_json: str, charts: bool) -> bytes:
    doc = json.loads(doc_json)
    from docx import Document
    from docx.shared import Cm, Pt

    d = Document()
    d.core_properties.title = title(doc)
    d.core_properties.language = "sv-SE"
    style = d.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    d.add_heading(title(doc), level=0)
    d.add_paragraph(f"{doc['organisation']}. Utkast framtaget ur Likvärd.")
    d.add_paragraph(summary_text(doc))
    d.add_paragraph(RULE).runs[0].font.size = Pt(8)
    d.add_heading("Sammanfattning", level=1)
    d.add_paragraph(doc["introduction"] or "[Skriv sammanfattningen här.]")
    for g, depth in walk_goals(doc["goals"]):
        code = f" {g['code']}" if g["numbered"] or g["level"] != "committee" else ""
        d.add_heading(f"{LEVEL_LABELS[g['level']]}{code}: {g['text']}", level=min(depth + 1, 3))
        if g["expected_results"]:
            d.add_paragraph("Förväntat resultat").runs[0].bold = True
            for r in g["expected_results"]:
                d.add_paragraph(r, style="List Bullet")
        if g["indicators"]:
            docx_table(d, ("Indikator", "Årsmål", "Period", "Utfall", "Flickor", "Pojkar", "Status", "Trend"), [
                (
                    i["name"], target_text(i), i["period"] or "–", number(i["value"], i["unit"]) if i["period"] else "–",
                    number(i["genders"].get("flickor"), i["unit"]) if i["by_gender"] and i["period"] else "–", number(i["genders"].get("pojkar"), i["unit"]) if i["by_gender"] and i["period"] else "–",
                    STATUS[i["status"]], TREND[i["trend"]],
                )
                for i in g["indicators"]
            ])
            if charts:
                for i in g["indicators"]:
                    if len([v for v in i["series"]["values"] if v is not None]) < 2:
                        continue
                    spec = indicator_spec({"Staden": i["series"]["values"]}, i["series"]["periods"], title=i["name"], unit=i["unit"], target=i["target"], width=420, height=140)
                    d.add_picture(io.BytesIO(bytes(render(spec, "png", scale=1.5))), width=Cm(14))
        if g["activities"]:
            docx_table(d, ("Aktivitet", "Start", "Slut", "Status"), [
                (a["text"], a["start"], a["end"], ACTIVITY.get(a["status"], a["status"]) + (f" – {a['comment']}" if a["comment"] else "")) for a in g["activities"]
            ])
        if g["level"] == "committee" or g["indicators"]:
            d.add_paragraph("Analys").runs[0].bold = True
            d.add_paragraph(g["text_analysis"] or "[Skriv analysen här.]")
    if doc.get("money"):
        _money_docx(d, doc["money"], charts)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def docx_table(d: Any, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A Word table with a bold header row (the report's and the support report's tables)."""
    t = d.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, header, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for values in rows:
        for cell, text in zip(t.add_row().cells, values, strict=True):
            cell.text = text


def _money_docx(d: Any, section: dict[str, Any], charts: bool) -> None:
    from docx.shared import Cm, Pt

    d.add_heading(MONEY_TITLE, level=1)
    d.add_paragraph(MONEY_INTRO)
    d.add_heading(MONEY_CAVEAT_TITLE, level=2)
    for text in MONEY_CAVEAT:
        d.add_paragraph(text)
    for text in money_notes(section):
        d.add_paragraph(text).runs[0].font.size = Pt(8)
    for o in section["outcomes"]:
        label = MONEY_OUTCOMES.get(o["outcome"], o["outcome"])
        d.add_heading(f"{label} ({MONEY_UNITS.get(o['outcome'], '')})", level=2)
        rows = money_rows(o)
        if not rows:
            d.add_paragraph("Inga år med både resursfördelning och resultat.")
            continue
        docx_table(d, MONEY_HEADERS, [(r["year"], r["n"], r["correlation"], *(f"{q['mean']}\n{q['range']}" for q in r["quartiles"]), r["change"]) for r in rows])
        spec = _money_chart(o, 420, 140, title=label) if charts else None
        if spec is not None:
            d.add_picture(io.BytesIO(bytes(render(spec, "png", scale=1.5))), width=Cm(14))
