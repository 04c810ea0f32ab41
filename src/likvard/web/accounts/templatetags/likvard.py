"""Template filters every page uses (``{% load likvard %}``)."""

from django import template

from likvard.web import display

register = template.Library()


@register.filter
def kr(ore: int | None) -> str:
    """Öre as Swedish kronor ("1 234 567,89 kr")."""
    return display.money(ore)
