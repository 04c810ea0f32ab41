"""The 2024 goal plan (plans/stockholm-2024/plan.toml) against its source text.

Every goal, expected result, indicator and activity must be found in the source where its
`line` says, in the same words (after joining line-break hyphenation and collapsing
whitespace); every number and date must stand beside it; the counts must be those the text
holds.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "plans" / "stockholm-2024" / "plan.toml"
SOURCE = ROOT / "docs" / "sources" / "000_f6e850c53b3cb5d6.txt"

SOFT = "\x00"  # where a line ended in a hyphen: "" (hyphenation) or "-" (a real hyphen)


@pytest.fixture(scope="module")
def plan() -> dict:
    with PLAN.open("rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return SOURCE.read_text(encoding="utf-8").split("\n")


def normalise(chunk: list[str]) -> str:
    """Source lines as one string: a hyphen at a line end becomes SOFT, whitespace collapses."""
    text = re.sub(r"-\n\s*", SOFT, "\n".join(chunk))
    return re.sub(r"\s+", " ", text).strip()


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def matches_at(src: str, i: int, text: str) -> bool:
    """Does `text` stand in `src` from position i? A SOFT mark matches "" or "-"."""
    j = 0
    while j < len(text):
        if i >= len(src):
            return False
        if src[i] == SOFT:
            if text[j] == "-":
                j += 1
            i += 1
            continue
        if src[i] != text[j]:
            return False
        i += 1
        j += 1
    return True


def found_at(lines: list[str], line: int, text: str, span: int = 12, slack: int = 1) -> bool:
    """`text` begins on source line `line` (or up to `slack` lines later)."""
    for start in range(line, line + slack + 1):
        window = normalise(lines[start - 1 : start - 1 + span])
        first = len(normalise(lines[start - 1 : start]))
        if any(matches_at(window, i, text) for i in range(first + 1)):
            return True
    return False


def found_within(lines: list[str], line: int, text: str, span: int) -> bool:
    window = normalise(lines[line - 1 : line - 1 + span])
    return any(matches_at(window, i, text) for i in range(len(window)))


def seed_notation(x: int | float) -> str:
    """A number as the source prints it: 11000 → "11 000", 5.3 → "5,3"."""
    if isinstance(x, float) and not x.is_integer():
        return str(x).replace(".", ",")
    return f"{int(x):,}".replace(",", " ")


def goals_by(plan: dict, level: str) -> list[dict]:
    return [g for g in plan["goal"] if g["level"] == level]


def indicator(plan: dict, key: str) -> dict:
    return next(i for i in plan["indicator"] if i["key"] == key)


# --------------------------------------------------------------------------- counts


def test_plan_header(plan):
    assert plan["plan"] == {"year": 2024, "municipality": "0180", "organisation": "Utbildningsnämnden, Stockholms stad", "source": "docs/sources/000_f6e850c53b3cb5d6.txt"}
    assert (ROOT / plan["plan"]["source"]).resolve() == SOURCE.resolve()


def test_counts(plan):
    assert Counter(g["level"] for g in plan["goal"]) == {"direction": 3, "area": 15, "committee": 19}
    inds = plan["indicator"]
    assert len(inds) == 60
    assert Counter(i["periodicity"] for i in inds) == {"year": 52, "tertial": 8}
    assert sum("council_target" in i for i in inds) == 16
    assert sum("council_target_text" in i for i in inds) == 7
    assert not any("council_target" in i and "council_target_text" in i for i in inds)
    assert len(plan["activity"]) == 48


def test_counts_the_source_holds(lines):
    """The counts above are the text's own: headings, periodicity cells and date pairs."""
    text = "\n".join(lines)
    assert len(re.findall(r"^ ?KF:s inriktningsmål: \d\. ", text, re.M)) == 3
    assert len(re.findall(r"^ ?KF:s mål för verksamhetsområdet: \d\.\d ", text, re.M)) == 15
    assert len(re.findall(r"^ ?Nämndmål: ", text, re.M)) == 19
    assert len(re.findall(r"(?:^| )År *$", text, re.M)) == 52
    assert len(re.findall(r"(?:^| )Tertial *$", text, re.M)) == 8
    assert len(re.findall(r"\d{4}-\d{2}-\d{2} \d{4}-\d{2}-\d{2}", text)) == 48


# --------------------------------------------------------------------------- structure


def test_goal_tree(plan):
    ids = {(g["code"], g["level"]) for g in plan["goal"]}
    assert len(ids) == len(plan["goal"]), "a (code, level) pair twice"
    above = {"area": "direction", "committee": "area"}
    for g in plan["goal"]:
        if g["level"] == "direction":
            assert "parent" not in g
            assert re.fullmatch(r"\d", g["code"])
            continue
        assert (g["parent"], above[g["level"]]) in ids, g
        assert g["code"].startswith(g["parent"] + ".") or g["code"] == g["parent"], g
    for g in goals_by(plan, "area"):
        assert re.fullmatch(r"\d\.\d", g["code"]) and g["code"].split(".")[0] == g["parent"]
    assert "1.4" not in {g["code"] for g in goals_by(plan, "area")}


def test_committee_codes(plan):
    committee = goals_by(plan, "committee")
    numbered = sorted(g["code"] for g in committee if g["numbered"])
    assert numbered == ["1.2.1", "1.2.2", "1.2.3", "3.1.1", "3.1.2", "3.1.3"]
    for g in committee:
        if not g["numbered"]:
            assert g["code"] == g["parent"], g
        assert g["expected_results"], g


def test_references(plan):
    ids = {(g["code"], g["level"]) for g in plan["goal"]}
    for item in plan["indicator"] + plan["activity"]:
        assert (item["goal"], item["goal_level"]) in ids, item
        assert item["goal_level"] in ("area", "committee")
    keys = [i["key"] for i in plan["indicator"]]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in keys)


def test_indicator_fields(plan):
    for i in plan["indicator"]:
        assert i["periodicity"] in ("year", "tertial")
        assert i["direction"] in ("higher", "lower")
        assert i["level"] in ("school", "city")
        assert isinstance(i["by_gender"], bool)
        assert i["source"]
        assert ("target" in i) != ("target_text" in i), i["key"]
        if i["goal_level"] == "committee":
            # the nämndmål tables print the committee's target only
            assert "council_target" not in i and "council_target_text" not in i, i["key"]
        if "statistic" in i:
            assert i["statistic"] in ("merit_value", "share_all_subjects", "share_eligible_vocational")
            assert i["grade"] in (6, 9)
        else:
            assert "grade" not in i
    for a in plan["activity"]:
        assert isinstance(a["start"], date) and isinstance(a["end"], date) and a["start"] <= a["end"]
        assert a["lead"]


# --------------------------------------------------------------------------- against the source


def test_goal_texts_in_source(plan, lines):
    for g in plan["goal"]:
        assert found_at(lines, g["line"], g["text"]), (g["code"], g["level"], g["text"])
        heading = normalise(lines[g["line"] - 1 : g["line"]])
        if g["level"] == "direction":
            assert heading.startswith(f"KF:s inriktningsmål: {g['code']}. ")
        elif g["level"] == "area":
            assert heading.startswith(f"KF:s mål för verksamhetsområdet: {g['code']} ")
        else:
            prefix = f"Nämndmål: {g['code']} " if g["numbered"] else "Nämndmål: "
            assert heading.startswith(prefix), heading
            if not g["numbered"]:
                assert not re.match(r"Nämndmål: \d", heading)


def test_expected_results_in_source(plan, lines):
    for g in goals_by(plan, "committee"):
        # they stand under "Förväntat resultat", shortly after the goal's heading
        heading_at = next(n for n in range(g["line"], g["line"] + 5) if lines[n - 1].strip() == "Förväntat resultat")
        for r in g["expected_results"]:
            assert found_within(lines, heading_at, r, span=16), (g["code"], r)


def test_indicators_in_source(plan, lines):
    for i in plan["indicator"]:
        assert found_at(lines, i["line"], i["name"], slack=0), (i["key"], i["name"])
        window = collapse(" ".join(lines[i["line"] - 1 : i["line"] + 6]))
        for field in ("target", "council_target"):
            if field in i:
                assert seed_notation(i[field]) in window, (i["key"], field, i[field])
        if "council_target_text" in i:
            assert found_within(lines, i["line"], i["council_target_text"], span=7), i["key"]
        per = {"year": "År", "tertial": "Tertial"}[i["periodicity"]]
        rest = normalise(lines[i["line"] - 1 : i["line"] + 11])
        # the row's periodicity is the first one after its name
        first = re.search(r"(?:^| )(År|Tertial)(?: |$)", rest)
        assert first and first.group(1) == per, (i["key"], per)
        if i["unit"] not in ("index", "timmar"):  # the two units read from the name, not printed
            assert i["unit"] in rest[len(i["name"]) :].replace(SOFT, ""), (i["key"], i["unit"])


def test_activities_in_source(plan, lines):
    for a in plan["activity"]:
        assert found_at(lines, a["line"], a["text"], span=16, slack=0), a["text"]
        window = " ".join(lines[a["line"] - 1 : a["line"] + 15])
        pair = re.search(r"(\d{4}-\d{2}-\d{2}) (\d{4}-\d{2}-\d{2})", window)
        assert pair, a["text"]
        assert (pair.group(1), pair.group(2)) == (a["start"].isoformat(), a["end"].isoformat()), a["text"]
        if a.get("lead_stated", True):
            assert a["text"].startswith(a["lead"] + " ska "), a["lead"]


def test_items_in_source_order(plan):
    """An item's line lies between its goal's heading and the next goal heading."""
    headings = sorted(g["line"] for g in plan["goal"])
    for item in plan["indicator"] + plan["activity"]:
        goal = next(g for g in plan["goal"] if (g["code"], g["level"]) == (item["goal"], item["goal_level"]))
        later = [h for h in headings if h > goal["line"]]
        assert goal["line"] < item["line"] < (later[0] if later else 10**9), item


def test_every_table_row_transcribed(plan, lines):
    """Each periodicity cell and each date pair of the source belongs to one transcribed item."""
    text_lines = [n for n, row in enumerate(lines, 1) if re.search(r"(?:^| )(År|Tertial) *$", row)]
    starts = sorted(i["line"] for i in plan["indicator"])
    owners = [max(s for s in starts if s <= n) for n in text_lines]
    assert sorted(owners) == starts
    date_lines = [n for n, row in enumerate(lines, 1) if re.search(r"\d{4}-\d{2}-\d{2} \d{4}-\d{2}-\d{2}", row)]
    starts = sorted(a["line"] for a in plan["activity"])
    owners = [max(s for s in starts if s <= n) for n in date_lines]
    assert sorted(owners) == starts


# --------------------------------------------------------------------------- hand-checked samples


def test_sample_grade6(plan):
    i = indicator(plan, "gr6_all_subjects")
    assert i["name"] == "Andel elever i årskurs 6 med godkänt betyg i alla ämnen"
    assert (i["target"], i["council_target"], i["periodicity"], i["goal"], i["goal_level"]) == (80, 80, "year", "1.2", "area")
    assert (i["statistic"], i["grade"], i["unit"], i["by_gender"], i["level"]) == ("share_all_subjects", 6, "%", True, "school")
    assert i["line"] == 263


def test_sample_budget_tertial(plan):
    after = next(i for i in plan["indicator"] if i["name"] == "Nämndens budgetföljsamhet efter resultatöverföringar")
    before = next(i for i in plan["indicator"] if i["name"] == "Nämndens budgetföljsamhet före resultatöverföringar")
    for i, line in ((after, 2038), (before, 2040)):
        assert (i["target"], i["council_target"], i["unit"], i["periodicity"]) == (100, 100, "%", "tertial")
        assert (i["goal"], i["goal_level"], i["level"], i["line"]) == ("3.1", "area", "city", line)


def test_sample_committee_goal(plan):
    g = next(g for g in plan["goal"] if g["code"] == "1.2.1")
    assert (g["level"], g["parent"], g["numbered"], g["line"]) == ("committee", "1.2", True, 417)
    assert g["text"] == "Alla elever utvecklas och når målen för sin utbildning"
    assert g["expected_results"][0] == "Lärare har höga förväntningar på eleverna"
    fritid = next(g for g in goals_by(plan, "committee") if g["code"] == "1.1")
    assert fritid["numbered"] is False and fritid["line"] == 221
    assert fritid["expected_results"] == ["Fler elever deltar i fritidsaktiviteter under eller i anslutning till skoldagen", "Fler elever deltar i fritidsklubbens verksamhet"]


def test_sample_activities(plan):
    a = next(a for a in plan["activity"] if a["line"] == 358)
    assert a["text"].startswith("Utbildningsnämnden ska i samarbete med kommunstyrelsen utreda införandet av borttagna fritidsklubbsavgifter")
    assert (a["start"], a["end"], a["goal"], a["goal_level"], a["lead"]) == (date(2024, 1, 1), date(2024, 6, 30), "1.2", "area", "Utbildningsnämnden")
    first = next(a for a in plan["activity"] if a["line"] == 306)
    assert first["lead"] == "Förskolenämnden" and first["text"].endswith("med fokus på språk och kunskapsutveckling")
    npf = next(a for a in plan["activity"] if a["line"] == 403)
    assert "elever med NPF-diagnoser" in npf["text"]  # a real hyphen at a line end is kept
    assert sum(a["end"] == date(2024, 6, 30) for a in plan["activity"]) == 2


def test_sample_merit_value(plan):
    merit = [i for i in plan["indicator"] if i.get("statistic") == "merit_value"]
    assert len(merit) == 1
    (i,) = merit
    assert i["name"] == "Meritvärde i årskurs 9"
    assert (i["grade"], i["target"], i["goal"], i["goal_level"], i["periodicity"], i["line"]) == (9, 252, "1.2.1", "committee", "year", 1347)
    assert "council_target" not in i


def test_sample_statistics(plan):
    mapped = {i["key"]: (i["statistic"], i["grade"]) for i in plan["indicator"] if "statistic" in i}
    assert mapped == {
        "gr6_all_subjects": ("share_all_subjects", 6),
        "gr9_all_subjects": ("share_all_subjects", 9),
        "gr9_knowledge_req_all_subjects": ("share_all_subjects", 9),
        "gr9_eligible_national": ("share_eligible_vocational", 9),
        "gr9_merit_value": ("merit_value", 9),
    }


def test_sample_numbers_and_texts(plan):
    assert indicator(plan, "summer_job_youths_in_house")["council_target"] == 11000
    assert indicator(plan, "sick_leave")["target"] == 5.3
    assert indicator(plan, "sick_leave")["council_target_text"] == "Tas fram av nämnd/styrelse"
    assert indicator(plan, "sick_leave")["direction"] == "lower"
    assert indicator(plan, "sports_halls_hours_booked")["council_target_text"] == "Tas fram av nämnd"
    assert indicator(plan, "purchased_energy")["council_target"] == 1735
    assert indicator(plan, "food_climate_impact")["target"] == 1.6
    assert indicator(plan, "gr3_np_swedish")["target"] == 95  # printed "95 95 %"
    f = indicator(plan, "forecast_accuracy_t2")
    assert (f["target"], f["council_target"], f["plus_minus"]) == (1, 1, True)
    assert all(isinstance(i["target"], int) for i in plan["indicator"] if i["key"] not in ("sick_leave", "sick_leave_days_1_14", "food_climate_impact"))
