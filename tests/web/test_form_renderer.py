"""The Python-written select gives Django's own HTML, faster."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from mutualis.web.form_renderer import FormRenderer


class Sample(forms.Form):
    colour = forms.ChoiceField(
        choices=[("", "—"), ("r", "Rouge <vif>"), ("b", "Bleu & blanc")],
        help_text="Une couleur",
        required=True,
    )
    grouped = forms.ChoiceField(
        choices=[("Chaud", [("r", "Rouge")]), ("Froid", [("b", "Bleu"), ("v", "Vert")])]
    )
    several = forms.MultipleChoiceField(
        choices=[("1", "Un"), ("2", "Deux"), ("3", 'Trois "3"')], required=False
    )


@pytest.mark.parametrize(
    "data", [None, {"colour": "b", "grouped": "v", "several": ["1", "3"]}, {"colour": "x"}]
)
def test_same_html_as_djangos_templates(data) -> None:  # type: ignore[no-untyped-def]
    ours = Sample(data=data, renderer=FormRenderer()).as_div()
    djangos = Sample(data=data, renderer=DjangoTemplates()).as_div()
    # Django's per-option include leaves blank lines between options; nothing else differs.
    assert re.sub(r">\s+<", "><", ours) == re.sub(r">\s+<", "><", djangos)
    assert "Rouge &lt;vif&gt;" in ours
