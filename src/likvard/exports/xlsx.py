"""The allocation run as an Excel workbook: a summary, the reconciliation, one statement per school.

Why: controllers live in Excel. Numbers are written as numbers (kronor with two decimals,
computed from integer öre); every text cell is written as text, never as a formula, so a
school name like ``=HYPERLINK(...)`` cannot execute (formula injection).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter

#: The organiser types in the workbook.
OPERATORS = {"municipal": "kommunal", "independent": "fristående", "other_municipality": "annan kommun", "state": "statlig"}


def _kr(ore: int | None) -> float | None:
    return None if ore is None else ore / 100


def write_allocation_xlsx(data: dict[str, Any], path: str | Path | BinaryIO) -> None:
    """Write the CLI's allocation (or comparison) JSON ``data`` to ``path`` or a binary buffer
    (a web download is built in memory, so nothing is left in a temporary directory)."""
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    if isinstance(path, str | Path):
        wb = xlsxwriter.Workbook(str(path), options)
    else:
        wb = xlsxwriter.Workbook(path, {**options, "in_memory": True})
    try:
        bold = wb.add_format({"bold": True})
        head = wb.add_format({"bold": True, "bg_color": "#DDE6EE", "border": 1, "text_wrap": True, "valign": "top"})
        money = wb.add_format({"num_format": "# ##0.00"})
        money_bold = wb.add_format({"num_format": "# ##0.00", "bold": True})
        number = wb.add_format({"num_format": "# ##0.0"})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        model = data["model"]
        compare = "components_diff" in data

        ws = wb.add_worksheet("Sammanställning")
        ws.write_string(0, 0, f"{model['name']} — år {model['year']}", bold)
        ws.write_string(1, 0, f"Modell {model['id']}. Data: {data.get('data_source', '')}")
        if model.get("illustrative_components"):
            ws.write_string(2, 0, "Exempelvärden (ej i källorna): " + ", ".join(model["illustrative_components"]))
        if model.get("overrides"):
            ws.write_string(3, 0, "Ändringar: " + ", ".join(f"{o['key']}={o['value']}" for o in model["overrides"]))
        words = data.get("labels") or {}
        headers = ["Skolenhetskod", "Skola", "Huvudman", words.get("district") or "Stadsdel", words.get("area") or "Skolområde", "Elever (folkbokförda i kommunen)", "Index", "Kvartil", "Summa (kr)", "Per elev (kr)"]
        if compare:
            headers += ["Före (kr)", "Skillnad (kr)"]
        for col, h in enumerate(headers):
            ws.write_string(5, col, h, head)
        for r, s in enumerate(data["schools"], start=6):
            ws.write_string(r, 0, s["school_unit_code"])
            ws.write_string(r, 1, s.get("name") or "")
            ws.write_string(r, 2, OPERATORS.get(s.get("operator") or "", ""))
            ws.write_string(r, 3, s.get("district") or "")
            ws.write_string(r, 4, s.get("area") or "")
            ws.write_number(r, 5, s.get("pupils") or 0)
            if s.get("index") is not None:
                ws.write_number(r, 6, s["index"], number)
            if s.get("need_quartile") is not None:
                ws.write_number(r, 7, s["need_quartile"])
            ws.write_number(r, 8, _kr(s["total_ore"]) or 0, money)
            if s.get("per_pupil_ore") is not None:
                ws.write_number(r, 9, _kr(s["per_pupil_ore"]) or 0, money)
            if compare:
                ws.write_number(r, 10, _kr(s.get("before_total_ore", 0)) or 0, money)
                ws.write_number(r, 11, _kr(s.get("diff_total_ore", 0)) or 0, money)
        ws.set_column(0, 0, 14)
        ws.set_column(1, 1, 42)
        ws.set_column(2, 7, 14)
        ws.set_column(8, 11, 18)
        ws.freeze_panes(6, 2)
        ws.autofilter(5, 0, 5 + len(data["schools"]), len(headers) - 1)

        wp = wb.add_worksheet("Avstämning")
        for col, h in enumerate(["Pott", "Komponent", "Typ", "Belopp (kr)", "Fördelat (kr)", "Skillnad (kr)", "Anmärkning"]):
            wp.write_string(0, col, h, head)
        for r, p in enumerate(data["pots"], start=1):
            wp.write_string(r, 0, p["label"])
            wp.write_string(r, 1, p["component"])
            wp.write_string(r, 2, {"pot": "pott (exakt)", "budget": "budget (per elev)", "transfer": "överföring"}.get(p["kind"], p["kind"]))
            wp.write_number(r, 3, _kr(p["amount_ore"]) or 0, money)
            wp.write_number(r, 4, _kr(p["distributed_ore"]) or 0, money)
            wp.write_number(r, 5, _kr(p["difference_ore"]) or 0, money)
            wp.write_string(r, 6, p.get("note") or "")
        wp.set_column(0, 0, 50)
        wp.set_column(1, 2, 22)
        wp.set_column(3, 5, 18)
        wp.set_column(6, 6, 50)

        labels = {c["id"]: c for c in data.get("components", [])}
        for s in data["schools"]:
            sheet = wb.add_worksheet(s["school_unit_code"][:31])
            sheet.write_string(0, 0, f"{s.get('name') or ''} ({s['school_unit_code']})", bold)
            sheet.write_string(1, 0, f"Resursfördelning {model['year']}, modell {model['id']}. Elever: {s.get('pupils', 0)}")
            for col, h in enumerate(["Komponent", "Antal", "Belopp per enhet (kr)", "Summa (kr)", "Förklaring", "Källa"]):
                sheet.write_string(3, col, h, head)
            row = 4
            for ln in s["lines"]:
                sheet.write_string(row, 0, ln["label"])
                if ln["quantity"] is not None:
                    sheet.write_number(row, 1, ln["quantity"], number)
                if ln["rate_ore"] is not None:
                    sheet.write_number(row, 2, _kr(ln["rate_ore"]) or 0, money)
                sheet.write_number(row, 3, _kr(ln["amount_ore"]) or 0, money)
                sheet.write_string(row, 4, ln["explanation"], wrap)
                sheet.write_string(row, 5, labels.get(ln["component"], {}).get("source", ""), wrap)
                row += 1
            sheet.write_string(row, 0, "Summa", bold)
            sheet.write_number(row, 3, _kr(s["total_ore"]) or 0, money_bold)
            if compare and s.get("diff_ore"):
                row += 2
                sheet.write_string(row, 0, "Skillnad mot jämförelsen per komponent", bold)
                for comp, diff in s["diff_ore"].items():
                    row += 1
                    sheet.write_string(row, 0, labels.get(comp, {}).get("label", comp))
                    sheet.write_number(row, 3, _kr(diff) or 0, money)
            sheet.set_column(0, 0, 40)
            sheet.set_column(1, 3, 16)
            sheet.set_column(4, 4, 70)
            sheet.set_column(5, 5, 50)
    finally:
        wb.close()
