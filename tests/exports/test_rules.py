"""The rules reference in docs/ is the model's own: regenerated, it is the committed file."""

from pathlib import Path

from likvard.engine.allocation import load_model
from likvard.exports.rules import rules_markdown

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "stockholm-2024"


def test_the_committed_rules_reference_is_the_models():
    committed = (ROOT / "docs" / "rules-2024.md").read_text(encoding="utf-8")
    assert rules_markdown(MODEL) == committed, "regenerate: python -m likvard.exports.rules models/stockholm-2024 > docs/rules-2024.md"


def test_every_component_and_frame_stands_with_its_source():
    text = rules_markdown(MODEL)
    model = load_model(MODEL)
    for c in model.components:
        row = next(line for line in text.splitlines() if f"(`{c.id}`)" in line)
        assert c.source.split(":")[0] in row and c.kind in row
        assert ("*exempelvärde*" in row) == c.illustrative
    for f in model.frames:
        assert f.label in text
    assert "`attr_needs_group`" in text and "11 486 kr" in text
