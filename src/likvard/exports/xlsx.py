"""The allocation run as an Excel workbook: a summary, the reconciliation, one statement per school.

Why: controllers live in Excel. Numbers are written as numbers (kronor with two decimals,
computed from integer öre) in formats that carry no separators of their own (``#,##0.00``,
``#,##0``): Excel and LibreOffice show them with the reader's locale, in Swedish as
``1 234 567,89``. Every sheet keeps its header row (and on the summary the school's code and
name) in view when scrolling, and columns are as wide as their contents up to a cap.

Formula injection: every text cell is written as a string, never as a formula
(``strings_to_formulas=False``), but that protects only this file. Re-saved as CSV, or pasted
into another sheet, a school named ``=HYPERLINK(...)`` or a phone number ``+46 8 …`` becomes a
formula again. So text that a spreadsheet could evaluate (starting with ``= + - @``, also after
leading spaces, or with a tab or carriage return) is stored with a leading apostrophe, the
prefix OWASP recommends for CSV injection. We chose a visible apostrophe over an invisible one
(a zero-width or no-break space): the reader sees the original text right after it and can tell
that the cell was neutralised, a lookup that does not match has a visible cause, and the
apostrophe survives a CSV round trip in Excel and LibreOffice alike (checked with
``libreoffice --convert-to csv``). Excel's own "quote prefix" cell style would show the text
without the apostrophe, but it is a style, not content, and is lost in a CSV.

Pots, budgets, transfers and fixed grants are told apart on the reconciliation sheet: only pots
and transfers must reconcile to the öre; a budget is paid per pupil or decision, so its
difference is a forecast gap, not an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from likvard.money import format_ore

#: The organiser types in the workbook.
OPERATORS = {"municipal": "kommunal", "independent": "fristående", "other_municipality": "annan kommun", "state": "statlig"}

#: Excel number formats. The comma and point are Excel's placeholders for the locale's group
#: and decimal separators, not characters: Swedish Excel shows ``#,##0.00`` as ``1 234,50``.
MONEY = "#,##0.00"
COUNT = "#,##0"
DECIMAL = "#,##0.0"

#: What a reconciliation row's kind means, in words (item 12: a budget's difference is not an error).
KINDS = {
    "pot": "pott — fördelas exakt och ska stämma på öret",
    "budget": "budget — betalas per elev, skillnaden är en prognosavvikelse",
    "transfer": "överföring — mellan skolor, summerar till noll",
    "fixed_grant": "fast bidrag — bestämda belopp till namngivna skolor",
}

#: A text starting with one of these (after any leading whitespace) is a formula to a spreadsheet.
_FORMULA_SIGNS = ("=", "+", "-", "@")
#: The prefix that makes such text inert (see the module docstring).
TEXT_PREFIX = "'"


def safe_text(value: str) -> str:
    """``value`` as a spreadsheet shows it literally: with ``TEXT_PREFIX`` before text that a
    spreadsheet (or a CSV made from this file) would evaluate as a formula."""
    if value[:1] in ("\t", "\r", "\n") or value.lstrip().startswith(_FORMULA_SIGNS):
        return TEXT_PREFIX + value
    return value


def _kr(ore: int | None) -> float:
    return 0.0 if ore is None else ore / 100


def _shown_width(value: float, num_format: str) -> int:
    """How many characters a number takes in ``num_format`` (grouping included)."""
    decimals = num_format.rsplit(".", 1)[1].count("0") if "." in num_format else 0
    return len(f"{value:,.{decimals}f}")


class _Sheet:
    """A worksheet that writes text safely and remembers how wide each column's contents are,
    so that ``fit`` can size the columns to them."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.widths: dict[int, int] = {}

    def _seen(self, col: int, width: int) -> None:
        self.widths[col] = max(self.widths.get(col, 0), width)

    def text(self, row: int, col: int, value: str, fmt: Format | None = None, *, fit: bool = True) -> None:
        """Text as text; ``fit=False`` for titles that may run over the next empty cells."""
        value = safe_text(value)
        self.ws.write_string(row, col, value, fmt)
        if fit:
            self._seen(col, max((len(part) for part in value.splitlines()), default=0))

    def number(self, row: int, col: int, value: float, fmt: Format, num_format: str) -> None:
        self.ws.write_number(row, col, value, fmt)
        self._seen(col, _shown_width(value, num_format))

    def header(self, row: int, headers: list[str], fmt: Format) -> None:
        """Header cells wrap, so they ask only for their longest word (at least 10 characters)."""
        for col, h in enumerate(headers):
            self.ws.write_string(row, col, safe_text(h), fmt)
            self._seen(col, min(len(h), max(10, max(len(w) for w in h.split()))))

    def fit(self, caps: dict[int, int] | None = None, *, wrap: Format | None = None) -> None:
        """Set each column's width to its widest content plus a margin, at most its cap
        (columns with a cap wrap their text)."""
        caps = caps or {}
        for col, width in sorted(self.widths.items()):
            cap = caps.get(col, 60)
            self.ws.set_column(col, col, min(width + 2, cap), wrap if col in caps else None)


def write_allocation_xlsx(data: dict[str, Any], path: str | Path | BinaryIO) -> None:
    """Write the CLI's allocation (or comparison) JSON ``data`` to ``path`` or a binary buffer
    (a web download is built in memory, so nothing is left in a temporary directory)."""
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    if isinstance(path, str | Path):
        wb = xlsxwriter.Workbook(str(path), options)
    else:
        wb = xlsxwriter.Workbook(path, {**options, "in_memory": True})
    try:
        _write(wb, data)
    finally:
        wb.close()


def _write(wb: xlsxwriter.Workbook, data: dict[str, Any]) -> None:
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDE6EE", "border": 1, "text_wrap": True, "valign": "top"})
    money = wb.add_format({"num_format": MONEY, "valign": "top"})
    money_bold = wb.add_format({"num_format": MONEY, "bold": True})
    count = wb.add_format({"num_format": COUNT, "valign": "top"})
    decimal = wb.add_format({"num_format": DECIMAL, "valign": "top"})
    top = wb.add_format({"valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    model = data["model"]
    compare = "components_diff" in data
    words = data.get("labels") or {}
    components = {c["id"]: c for c in data.get("components", [])}

    # the summary: one row per school, the code and name kept in view
    ws = _Sheet(wb.add_worksheet("Sammanställning"))
    ws.text(0, 0, f"{model['name']} — år {model['year']}", bold, fit=False)
    ws.text(1, 0, f"Modell {model['id']}. Data: {data.get('data_source', '')}", fit=False)
    if model.get("illustrative_components"):
        ws.text(2, 0, "Exempelvärden (ej i källorna): " + ", ".join(model["illustrative_components"]), fit=False)
    if model.get("overrides"):
        ws.text(3, 0, "Ändringar: " + ", ".join(f"{o['key']}={o['value']}" for o in model["overrides"]), fit=False)
    headers = ["Skolenhetskod", "Skola", "Huvudman", words.get("district") or "Stadsdel", words.get("area") or "Skolområde", "Elever (folkbokförda i kommunen)", "Index", "Kvartil", "Summa (kr)", "Per elev (kr)"]
    if compare:
        headers += ["Före (kr)", "Skillnad (kr)"]
    ws.header(5, headers, head)
    for r, s in enumerate(data["schools"], start=6):
        ws.text(r, 0, s["school_unit_code"], top)
        ws.text(r, 1, s.get("name") or "", top)
        ws.text(r, 2, OPERATORS.get(s.get("operator") or "", ""), top)
        ws.text(r, 3, s.get("district") or "", top)
        ws.text(r, 4, s.get("area") or "", top)
        ws.number(r, 5, s.get("pupils") or 0, count, COUNT)
        if s.get("index") is not None:
            ws.number(r, 6, s["index"], decimal, DECIMAL)
        if s.get("need_quartile") is not None:
            ws.number(r, 7, s["need_quartile"], count, COUNT)
        ws.number(r, 8, _kr(s["total_ore"]), money, MONEY)
        if s.get("per_pupil_ore") is not None:
            ws.number(r, 9, _kr(s["per_pupil_ore"]), money, MONEY)
        if compare:
            ws.number(r, 10, _kr(s.get("before_total_ore", 0)), money, MONEY)
            ws.number(r, 11, _kr(s.get("diff_total_ore", 0)), money, MONEY)
    ws.fit({1: 50, 3: 30, 4: 30})
    ws.ws.freeze_panes(6, 2)
    ws.ws.autofilter(5, 0, 5 + len(data["schools"]), len(headers) - 1)

    _reconciliation(wb, data, head, money, money_bold, bold, wrap, top)

    for s in data["schools"]:
        sheet = _Sheet(wb.add_worksheet(s["school_unit_code"][:31]))
        pupils = format_ore(int(s.get("pupils") or 0) * 100, unit="", decimals=False).strip()
        sheet.text(0, 0, f"{s.get('name') or ''} ({s['school_unit_code']})", bold, fit=False)
        sheet.text(1, 0, f"Resursfördelning {model['year']}, modell {model['id']}. Elever: {pupils}", fit=False)
        sheet.header(3, ["Komponent", "Antal", "Belopp per enhet (kr)", "Summa (kr)", "Förklaring", "Källa"], head)
        row = 4
        for ln in s["lines"]:
            sheet.text(row, 0, ln["label"], top)
            if ln["quantity"] is not None:
                q = ln["quantity"]
                if float(q).is_integer():
                    sheet.number(row, 1, q, count, COUNT)
                else:
                    sheet.number(row, 1, q, decimal, DECIMAL)
            if ln["rate_ore"] is not None:
                sheet.number(row, 2, _kr(ln["rate_ore"]), money, MONEY)
            sheet.number(row, 3, _kr(ln["amount_ore"]), money, MONEY)
            sheet.text(row, 4, ln["explanation"], wrap)
            sheet.text(row, 5, components.get(ln["component"], {}).get("source", ""), wrap)
            row += 1
        sheet.text(row, 0, "Summa", bold)
        sheet.number(row, 3, _kr(s["total_ore"]), money_bold, MONEY)
        if compare and s.get("diff_ore"):
            row += 2
            sheet.text(row, 0, "Skillnad mot jämförelsen per komponent", bold, fit=False)
            for comp, diff in s["diff_ore"].items():
                row += 1
                sheet.text(row, 0, components.get(comp, {}).get("label", comp), top)
                sheet.number(row, 3, _kr(diff), money, MONEY)
        sheet.fit({0: 40, 4: 70, 5: 50}, wrap=wrap)
        sheet.ws.freeze_panes(4, 0)


def reconciliation_summary(pots: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The reconciliation's verdict in words, each line with the difference it speaks of (öre):
    pots and transfers (must be exact), budgets (forecast gap) and fixed grants if any."""
    exact = [p for p in pots if p["kind"] in ("pot", "transfer")]
    off = [p for p in exact if p["difference_ore"] != 0]
    off_ore = sum(p["difference_ore"] for p in off)
    if not off:
        lines = [(f"Potter och överföringar ({len(exact)}): alla potter stämmer på öret.", 0)]
    else:
        names = "; ".join(p["label"] for p in off)
        lines = [(f"Potter och överföringar: {len(off)} av {len(exact)} stämmer inte på öret, sammanlagd skillnad {format_ore(off_ore)} ({names}).", off_ore)]
    budgets = [p for p in pots if p["kind"] == "budget"]
    gap = sum(p["difference_ore"] for p in budgets)
    lines.append(
        (
            f"Budgetar ({len(budgets)}, betalas per elev): sammanlagd skillnad mot utbetalt {format_ore(gap)}, en prognosavvikelse, inget fel.",
            gap,
        )
    )
    grants = [p for p in pots if p["kind"] == "fixed_grant"]
    if grants:
        left = sum(p["difference_ore"] for p in grants)
        lines.append((f"Fasta bidrag ({len(grants)}): skillnad mellan beslutade och utbetalda bidrag {format_ore(left)}.", left))
    return lines


def _reconciliation(
    wb: xlsxwriter.Workbook,
    data: dict[str, Any],
    head: Format,
    money: Format,
    money_bold: Format,
    bold: Format,
    wrap: Format,
    top: Format,
) -> None:
    wp = _Sheet(wb.add_worksheet("Avstämning"))
    wp.header(0, ["Pott", "Komponent", "Typ", "Belopp (kr)", "Fördelat (kr)", "Skillnad (kr)", "Anmärkning"], head)
    for r, p in enumerate(data["pots"], start=1):
        kind = p["kind"]
        wp.text(r, 0, p["label"], top)
        wp.text(r, 1, p["component"], top)
        wp.text(r, 2, KINDS.get(kind, kind), wrap)
        wp.number(r, 3, _kr(p["amount_ore"]), money, MONEY)
        wp.number(r, 4, _kr(p["distributed_ore"]), money, MONEY)
        wp.number(r, 5, _kr(p["difference_ore"]), money, MONEY)
        wp.text(r, 6, p.get("note") or "", wrap)
    row = len(data["pots"]) + 2
    for text, ore in reconciliation_summary(data["pots"]):
        wp.text(row, 0, text, bold, fit=False)
        wp.number(row, 5, _kr(ore), money_bold, MONEY)
        row += 1
    wp.fit({0: 50, 2: 34, 6: 60}, wrap=wrap)
    wp.ws.freeze_panes(1, 0)
