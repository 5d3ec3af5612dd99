"""The yes/no icons of the back-office's lists and read-only fields, with a text
alternative in the reader's language.

Django's admin draws a boolean as an icon whose `alt` is the Python value, "True" or
"False", whatever the language (`django.contrib.admin.templatetags.admin_list._boolean_icon`,
Django 5.2): a French screen reader read "True" in a list of calendars. The alternative
must say what the icon says (WCAG 1.1.1), in the page's language (WCAG 3.1.1).
"""

from __future__ import annotations

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext


def boolean_icon(value: bool | None) -> SafeString:
    """Django's icon for `value`, its `alt` a word of the reader's language."""
    icon, text = {
        True: ("yes", gettext("Yes")),
        False: ("no", gettext("No")),
        None: ("unknown", gettext("Unknown")),
    }[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text)
