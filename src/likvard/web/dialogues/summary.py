"""The dialogues summed up: per area, and for the office the whole city (issue 11, item 1).

Per area: how many of its schools have a dialogue, and per development area (theme) and per
requested support (an intervention of the catalogue) the schools behind it. For the city: the
same counts over every area, each with the areas and the schools behind it, so that the office
sees which support is asked for where. One pass over the latest version of each school's
dialogue; the city is the sum of its areas by construction (the tests check it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .models import THEMES

__all__ = ["summarise"]

NO_AREA = "–"


def _entry(store: dict[Any, dict[str, Any]], key: Any, label: str, **extra: Any) -> dict[str, Any]:
    return store.setdefault(key, {"label": label, "schools": [], **extra})


def _sorted(store: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(store.values(), key=lambda e: (-len(e["schools"]), str(e["label"])))


def summarise(schools: Iterable[Any], latest: Mapping[int, Any]) -> dict[str, Any]:
    """``schools``: the schools a user sees (with ``pk``, ``name``, ``area``), ``latest``: the
    latest dialogue of a school by its pk, its ``support_requested`` prefetched.

    Returns ``areas`` (per area: ``area``, ``schools``, ``dialogues``, ``themes`` and
    ``support`` as lists of {label, schools[, intervention]}, most schools first) and ``city``:
    the totals and, per theme and per support, the schools and the areas behind it (per area:
    {area, schools}).
    """
    labels = dict(THEMES)
    areas: dict[str, dict[str, Any]] = {}
    city_themes: dict[str, dict[str, Any]] = {}
    city_support: dict[int, dict[str, Any]] = {}
    totals = {"schools": 0, "dialogues": 0}
    for s in schools:
        area = s.area or NO_AREA
        a = areas.setdefault(area, {"area": area, "themes": {}, "support": {}, "dialogues": 0, "schools": 0})
        a["schools"] += 1
        totals["schools"] += 1
        d = latest.get(s.pk)
        if d is None:
            continue
        a["dialogues"] += 1
        totals["dialogues"] += 1
        for t in dict.fromkeys(d.themes):  # a theme named twice counts once
            label = labels.get(t, t)
            _entry(a["themes"], t, label)["schools"].append(s)
            c = _entry(city_themes, t, label, areas={})
            c["schools"].append(s)
            c["areas"].setdefault(area, []).append(s)
        for i in d.support_requested.all():
            _entry(a["support"], i.pk, i.name, intervention=i)["schools"].append(s)
            c = _entry(city_support, i.pk, i.name, intervention=i, areas={})
            c["schools"].append(s)
            c["areas"].setdefault(area, []).append(s)
    per_area = [{**a, "themes": _sorted(a["themes"]), "support": _sorted(a["support"])} for _, a in sorted(areas.items())]

    def by_area(store: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**e, "areas": [{"area": k, "schools": v} for k, v in sorted(e["areas"].items(), key=lambda kv: (-len(kv[1]), kv[0]))]} for e in _sorted(store)]

    city = {**totals, "areas": len(areas), "themes": by_area(city_themes), "support": by_area(city_support)}
    return {"areas": per_area, "city": city}
