"""English is available for every text of the interface (the brief: Swedish UI, English
available): each `{% translate %}` string in the templates has an English translation."""

import gettext
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "src" / "likvard" / "web"


def test_every_template_string_has_an_english_translation():
    catalog = gettext.GNUTranslations((WEB / "locale" / "en" / "LC_MESSAGES" / "django.mo").open("rb"))._catalog
    missing = []
    for template in sorted((WEB / "templates").rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"""{%\s*translate\s+(["'])(.*?)\1""", text):
            msgid = match.group(2).replace("%", "%%")  # as Django looks it up (template/base.py)
            if not catalog.get(msgid):
                missing.append(f"{template.relative_to(WEB)}: {match.group(2)}")
    assert not missing, "\n".join(missing)
