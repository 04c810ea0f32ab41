"""Vega-Lite chart specifications for value added, as plain dicts.

Why plain dicts: one definition serves the browser (vendored vega-embed) and PDF/PNG
(vl-convert), and the engine stays free of plotting libraries. Rendering is a thin wrapper
around ``vl_convert``, imported only when asked for.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import polars as pl

from likvard.engine.stats import StatsInputError

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
FLAGS = ("clearly below", "as expected", "clearly above")
COLOURS = ["#c0392b", "#5f6b73", "#1f5fa0"]  # ≥ 3:1 against white (WCAG 1.4.11)
Language = Literal["en", "sv"]
#: Every word a chart shows, per language (the interface is Swedish, English on request).
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "merit_value": "merit value",
        "eligible_vocational": "eligible (vocational)",
        "clearly below": "clearly below",
        "as expected": "as expected",
        "clearly above": "clearly above",
        "va_title": "Value added, {label} (95 % intervals)",
        "va_axis": "value added ({label}{unit})",
        "ae_title": "Actual and expected {label}",
        "ae_area": ", area {area} highlighted",
        "expected": "expected {label}{unit}",
        "actual": "actual {label}{unit}",
        "points": ", percentage points",
        "percent": ", per cent",
        "school": "school",
        "area": "area",
        "pupils": "pupils",
        "lower": "lower",
        "upper": "upper",
        "value_added": "value added",
        "assessment": "assessment",
    },
    "sv": {
        "merit_value": "meritvärde",
        "eligible_vocational": "behörighet till yrkesprogram",
        "clearly below": "klart under förväntat",
        "as expected": "som förväntat",
        "clearly above": "klart över förväntat",
        "va_title": "Förädlingsvärde, {label} (95 % intervall)",
        "va_axis": "förädlingsvärde ({label}{unit})",
        "ae_title": "Faktiskt och förväntat {label}",
        "ae_area": ", {area} markerat",
        "expected": "förväntat {label}{unit}",
        "actual": "faktiskt {label}{unit}",
        "points": ", procentenheter",
        "percent": ", procent",
        "school": "skola",
        "area": "skolområde",
        "pupils": "elever",
        "lower": "nedre",
        "upper": "övre",
        "value_added": "förädlingsvärde",
        "assessment": "bedömning",
    },
}
LABELS = {k: TEXTS["en"][k] for k in ("merit_value", "eligible_vocational")}


def _texts(language: str) -> dict[str, str]:
    if language not in TEXTS:
        raise StatsInputError(f"language must be one of {', '.join(TEXTS)}, not {language!r}")
    return TEXTS[language]


def _quiet(spec: dict[str, Any]) -> dict[str, Any]:
    """No ARIA roles on the marks: the page or report around the chart carries one text
    alternative (and a table with the same figures); a role per dot makes screen readers
    recite hundreds of points, and axe flags mark containers without their own text."""
    for layer in spec.get("layer", []):
        layer["mark"] = {**layer["mark"], "aria": False}
    return spec


def _flag_colours(w: dict[str, str]) -> dict[str, Any]:
    return {"domain": [w[f] for f in FLAGS], "range": COLOURS}


def _rows(
    table: pl.DataFrame, outcome: str, schools: pl.DataFrame | None
) -> pl.DataFrame:
    t = table.filter((pl.col("outcome") == outcome) & ~pl.col("suppressed"))
    if t.height == 0:
        raise StatsInputError(f"no published rows for {outcome!r} to chart")
    if schools is not None and "name" in schools.columns:
        cols = [c for c in ("school_unit_code", "name", "area") if c in schools.columns]
        t = t.join(schools.select(cols), on="school_unit_code", how="left")
    else:
        t = t.with_columns(pl.lit(None, dtype=pl.String).alias("name"))
    if outcome == "eligible_vocational":  # shares as per cent, differences as percentage points
        scaled = [c for c in ("actual", "expected", "value_added", "shrunken", "lower", "upper") if c in t.columns]
        t = t.with_columns((pl.col(c) * 100).alias(c) for c in scaled)
    return t.with_columns(pl.coalesce("name", "school_unit_code").alias("school"))


def _units(outcome: str, w: dict[str, str]) -> tuple[str, str]:
    """The unit of a level and of a difference of ``outcome`` (per cent and percentage points
    for eligibility; merit points need no word)."""
    return (w["percent"], w["points"]) if outcome == "eligible_vocational" else ("", "")


def caterpillar_spec(
    table: pl.DataFrame,
    *,
    outcome: str = "merit_value",
    schools: pl.DataFrame | None = None,
    title: str | None = None,
    language: Language = "en",
    area: str | None = None,
) -> dict[str, Any]:
    """Schools ranked by value added (shrunken estimate) with their intervals.

    The rule at zero is what a reader compares against: only intervals that miss it are
    coloured as clearly above/below. The names of ``area``'s schools are set in bold.
    """
    w = _texts(language)
    t = _rows(table, outcome, schools).sort("shrunken")
    marked = (
        t.filter(pl.col("area") == area)["school"].to_list()
        if area is not None and "area" in t.columns
        else []
    )
    t = t.with_columns(pl.col("flag").replace_strict({f: w[f] for f in FLAGS}, default=pl.col("flag")).alias("assessment"))
    values = t.select("school", "shrunken", "lower", "upper", "assessment", "pupils").to_dicts()
    label = w.get(outcome, outcome)
    _, points = _units(outcome, w)
    y: dict[str, Any] = {"field": "school", "type": "nominal", "sort": None, "title": None}
    if marked:
        test = f"indexof({json.dumps(marked)}, datum.value) >= 0"
        y["axis"] = {"labelFontWeight": {"condition": {"test": test, "value": "bold"}, "value": "normal"}}
    colour = {"field": "assessment", "type": "nominal", "scale": _flag_colours(w), "title": None}
    return _quiet({
        "$schema": SCHEMA,
        "title": title or w["va_title"].format(label=label),
        "description": w["va_title"].format(label=label),
        "config": {"aria": False},  # the page or report around the chart carries the text alternative
        "width": 480,
        "height": {"step": 14},
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "rule"},
                "encoding": {
                    "y": y,
                    "x": {"field": "lower", "type": "quantitative", "title": w["va_axis"].format(label=label, unit=points)},
                    "x2": {"field": "upper"},
                    "color": colour,
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 40},
                "encoding": {
                    "y": y,
                    "x": {"field": "shrunken", "type": "quantitative"},
                    "color": colour,
                    "tooltip": [
                        {"field": "school", "title": w["school"]},
                        {"field": "pupils", "title": w["pupils"]},
                        {"field": "shrunken", "format": ".2f", "title": w["value_added"]},
                        {"field": "lower", "format": ".2f", "title": w["lower"]},
                        {"field": "upper", "format": ".2f", "title": w["upper"]},
                        {"field": "assessment", "title": w["assessment"]},
                    ],
                },
            },
            {
                "data": {"values": [{"zero": 0}]},
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "black"},
                "encoding": {"x": {"field": "zero", "type": "quantitative"}},
            },
        ],
    })


def actual_expected_spec(
    table: pl.DataFrame,
    *,
    outcome: str = "merit_value",
    schools: pl.DataFrame | None = None,
    area: str | None = None,
    title: str | None = None,
    language: Language = "en",
) -> dict[str, Any]:
    """Actual against expected per school; the schools of one area are highlighted and named.

    The diagonal is "as expected": schools above it did better than their pupils' background
    predicts. Point size shows pupils, so a reader sees which dots rest on few pupils.
    """
    w = _texts(language)
    t = _rows(table, outcome, schools)
    if "area" not in t.columns:
        t = t.with_columns(pl.lit(None, dtype=pl.String).alias("area"))
    t = t.with_columns(
        (pl.col("area") == area).fill_null(False).alias("highlight")
        if area is not None
        else pl.lit(False).alias("highlight")
    )
    # Highlighted schools last, so they are drawn on top of the others.
    t = t.sort("highlight", "school")
    values = t.select("school", "area", "actual", "expected", "pupils", "flag", "highlight").to_dicts()
    both = t.select(pl.concat_list("actual", "expected").explode().alias("v"))["v"]
    lo = float(both.min())  # type: ignore[arg-type]
    hi = float(both.max())  # type: ignore[arg-type]
    pad = max((hi - lo) * 0.05, 2.0)  # no point on the frame's edge, and room around a lone school
    lo, hi = lo - pad, hi + pad
    label = w.get(outcome, outcome)
    percent, _ = _units(outcome, w)
    axis = {"type": "quantitative", "scale": {"domain": [lo, hi], "zero": False}}
    heading = w["ae_title"].format(label=label) + (w["ae_area"].format(area=area) if area else "")
    return _quiet({
        "$schema": SCHEMA,
        "title": title or heading,
        "description": heading,
        "config": {"aria": False},
        "width": 420 if t.height >= 20 else 300,  # a principal's one school needs no large frame
        "height": 420 if t.height >= 20 else 300,
        "data": {"values": values},
        "layer": [
            {
                "data": {"values": [{"v": lo}, {"v": hi}]},
                "mark": {"type": "line", "color": "#999", "strokeDash": [4, 3]},
                "encoding": {"x": {"field": "v", **axis}, "y": {"field": "v", **axis}},
            },
            {
                "mark": {"type": "circle", "opacity": 0.8},
                "encoding": {
                    "x": {"field": "expected", **axis, "title": w["expected"].format(label=label, unit=percent)},
                    "y": {"field": "actual", **axis, "title": w["actual"].format(label=label, unit=percent)},
                    "size": {"field": "pupils", "type": "quantitative", "legend": None,
                             "scale": {"range": [15, 160]}},
                    "color": {
                        "condition": {"test": "datum.highlight", "value": "#d35400"},
                        "value": "#b0b7bd",
                    },
                    "tooltip": [
                        {"field": "school", "title": w["school"]},
                        {"field": "area", "title": w["area"]},
                        {"field": "pupils", "title": w["pupils"]},
                        {"field": "actual", "format": ".1f", "title": w["actual"].format(label=label, unit=percent)},
                        {"field": "expected", "format": ".1f", "title": w["expected"].format(label=label, unit=percent)},
                    ],
                },
            },
            {
                "transform": [{"filter": "datum.highlight"}],
                "mark": {"type": "text", "align": "left", "dx": 6, "fontSize": 10},
                "encoding": {
                    "x": {"field": "expected", **axis},
                    "y": {"field": "actual", **axis},
                    "text": {"field": "school"},
                },
            },
        ],
    })


def render(spec: dict[str, Any], fmt: Literal["svg", "png"] = "svg", scale: float = 2.0) -> str | bytes:
    """Render a spec with vl-convert (no browser): SVG text or PNG bytes."""
    import vl_convert as vlc

    if fmt == "svg":
        return str(vlc.vegalite_to_svg(spec))
    if fmt == "png":
        return bytes(vlc.vegalite_to_png(spec, scale=scale))
    raise StatsInputError(f"format must be svg or png, not {fmt!r}")


#: The indicator chart's words (goal follow-up), per language.
INDICATOR_TEXTS = {
    "sv": {"period": "period", "value": "utfall", "series": "serie", "target": "mål", "": "alla", "flickor": "flickor", "pojkar": "pojkar", "city": "staden"},
    "en": {"period": "period", "value": "outcome", "series": "series", "target": "target", "": "all", "flickor": "girls", "pojkar": "boys", "city": "the city"},
}


def indicator_spec(series: dict[str, list[float | None]], periods: list[str], *, title: str, unit: str, target: float | None, language: Language = "sv", width: int | str = "container", height: int = 260) -> dict[str, Any]:
    """An indicator over the periods: one line per series (the city, by gender, an area or a
    school), a dashed rule at the target. ``series`` maps a label to values in period order
    (None where hidden or missing: the line breaks there)."""
    w = INDICATOR_TEXTS[language]
    values = [{"period": p, "value": v, "series": label} for label, vs in series.items() for p, v in zip(periods, vs, strict=True) if v is not None]
    axis = f"{w['value']} ({unit})" if unit else w["value"]
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "period", "type": "ordinal", "sort": periods, "title": w["period"], "axis": {"labelAngle": 0}},
                "y": {"field": "value", "type": "quantitative", "title": axis, "scale": {"zero": False}},
                "color": {"field": "series", "type": "nominal", "title": w["series"], "scale": {"range": ["#1f5fa0", "#c0392b", "#2e7d32", "#6a1b9a", "#5f6b73"]}},
                "tooltip": [{"field": "series", "title": w["series"]}, {"field": "period", "title": w["period"]}, {"field": "value", "title": w["value"], "format": ".1f"}],
            },
        }
    ]
    if target is not None:
        layers.append({"mark": {"type": "rule", "strokeDash": [6, 4], "color": "#333"}, "data": {"values": [{"target": target}]}, "encoding": {"y": {"field": "target", "type": "quantitative"}}})
    return _quiet({"$schema": SCHEMA, "title": title, "width": width, "height": height, "data": {"values": values}, "layer": layers})
