"""Filters for the public pages: a published count, or the mark of a suppressed one."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def count(cell: Any) -> SafeString | str:
    """A count as plain digits, or a mark with its reason for a suppressed one."""
    if cell is None:
        return "—"
    if cell.status != "published":
        return format_html('<span class="suppressed" aria-hidden="true">*</span>'
                           '<span class="visually-hidden">{}</span>', _("suppressed"))
    return str(cell.count)


@register.filter
def rate(cell: Any) -> str:
    """A rate with one decimal, or a dash when it is not published."""
    if cell is None or cell.rate is None:
        return "—"
    return number_format(cell.rate, 1, use_l10n=True)


@register.filter
def ratio(cell: Any) -> SafeString | str:
    if cell is None or cell.ratio is None:
        return "—"
    text = number_format(cell.ratio, 2, use_l10n=True)
    mark = format_html(' <strong class="significant">{}</strong>', _("significant")) \
        if cell.significant else ""
    if cell.ci_low is not None and cell.ci_high is not None:
        return format_html("{} <small>({}–{})</small>{}", text,
                           number_format(cell.ci_low, 2, use_l10n=True),
                           number_format(cell.ci_high, 2, use_l10n=True), mark)
    return format_html("{}{}", text, mark)
