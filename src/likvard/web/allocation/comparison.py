"""A scenario's comparison in words: for each school what changed and why.

Why words and not a list of component deltas: a controller or a principal reads "Socioekonomisk
ersättning +12 345 kr, eftersom basbeloppet ändrades från 3 000 kr till 3 500 kr" and can say it
on in a result dialogue; the bare delta does not say which decision caused it (issue 8, item 16).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from likvard.money import format_ore

__all__ = ["reason_texts", "signed_money"]


def signed_money(ore: int) -> str:
    """``+1 234 kr`` / ``−1 234 kr`` / ``0 kr``: a difference always says its direction."""
    return ("+" if ore > 0 else "") + format_ore(ore)


def _changed(change: dict[str, Any]) -> str:
    if change.get("before"):
        return gettext("%(label)s ändrades från %(before)s till %(after)s") % {"label": change["label"].lower(), "before": change["before"], "after": change["after"]}
    return gettext("%(label)s sattes till %(after)s") % {"label": change["label"].lower(), "after": change["after"]}


def _joined(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " " + gettext("och") + " " + parts[-1]


def reason_texts(diff_ore: dict[str, int], labels: dict[str, str], changes: list[dict[str, Any]]) -> list[str]:
    """One sentence per component whose amount for the school changed, largest change first.

    A component the scenario changed names its changed amounts with the values before and
    after; any other component changed only as a consequence (a pot shared anew, a frame's
    remainder), and the sentence names the changed components it follows from.
    """
    by_component: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        by_component.setdefault(change["component"], []).append(change)
    causes = [labels.get(c, c) for c in by_component]
    texts = []
    for component, ore in sorted(diff_ore.items(), key=lambda kv: (-abs(kv[1]), kv[0])):
        if not ore:
            continue
        head = f"{labels.get(component, component)} {signed_money(ore)}"
        if component in by_component:
            why = gettext("eftersom %(what)s") % {"what": _joined([_changed(c) for c in by_component[component]])}
        elif causes:
            why = gettext("som följd av ändringen av %(what)s") % {"what": _joined(causes)}
        else:
            why = ""
        texts.append(f"{head}, {why}" if why else head)
    return texts
