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


class Boxes(forms.Form):
    q = forms.CharField(label="Recherche", required=False, max_length=100, help_text="Mots <clés>")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(min_value=1, max_value=9, required=True)
    mail = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"placeholder": 'a "b" & c'}))
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    agreed = forms.BooleanField(required=False)
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    when = forms.TimeField(required=False)
    file = forms.FileField(required=False)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "q": 'écran "cassé" <b>& co',
            "since": "2026-11-23",
            "count": "3",
            "mail": "x@y.fr",
            "hidden": "v&1",
            "agreed": "on",
            "secret": "s<>",
            "when": "08:30",
        },
        {"q": "x" * 120, "since": "hier", "count": "12", "mail": "pas un courriel"},
    ],
)
def test_inputs_give_djangos_html(data) -> None:  # type: ignore[no-untyped-def]
    ours = Boxes(data=data, renderer=FormRenderer()).as_div()
    djangos = Boxes(data=data, renderer=DjangoTemplates()).as_div()
    assert ours == djangos
    assert "<input" in ours


def test_safe_text_stays_as_given_in_inputs() -> None:
    from django.utils.safestring import mark_safe

    form = Boxes(initial={"q": mark_safe("a &amp; b"), "hidden": "a &amp; b"})
    for renderer in (FormRenderer(), DjangoTemplates()):
        form.renderer = renderer
        html = str(form["q"]) + str(form["hidden"])
        assert 'value="a &amp; b"' in html
        assert 'value="a &amp;amp; b"' in html
