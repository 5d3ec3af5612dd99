"""The wording of notifications: defaults that always render, and the back-office editor
where operator admins write their own (checked, previewed, reset), for their operator only."""

from __future__ import annotations

import pytest

from mutualis.servicedesk.mail import texts
from mutualis.servicedesk.mail.rendering import VARIABLES, check_source, render_wording, sample_context
from mutualis.servicedesk.models import EmailTemplate, NotificationEvent
from tests.conftest import Cast

URL = "/backoffice/servicedesk/emailtemplate/"


@pytest.mark.parametrize("language", texts.LANGUAGES)
@pytest.mark.parametrize("event", NotificationEvent.values)
def test_every_default_is_valid_and_renders(event: str, language: str) -> None:
    wording = texts.default_wording(event, language)
    assert check_source(wording.subject) == []
    assert check_source(wording.body) == []
    subject, body = render_wording(wording, sample_context(language))
    assert "\n" not in subject
    assert "{{" not in body
    assert "\n\n\n" not in body


def test_unknown_variables_and_tags_are_named_in_the_error() -> None:
    [problem] = check_source("Bonjour {{ recipient }}, {{ ticket.requester.password }} {{ x|default:y }}")
    assert "{{ ticket }}" in problem
    assert "{{ x }}, {{ y }}" in problem
    assert "number" in problem  # the list of what is available
    [problem] = check_source("{% include 'base.html' %}")
    assert "{% include %}" in problem
    [problem] = check_source("{% load static %}")
    assert "{% load %}" in problem
    [problem] = check_source("{% if title %}sans fin")
    assert "syntax" in problem.lower()
    # Loop and with variables are the template's own.
    assert check_source("{% with who=recipient %}{{ who }}{% endwith %}") == []
    assert check_source("{% if state_code == 'resolved' and survey_url %}{{ survey_url }}{% endif %}") == []


def test_variables_are_documented() -> None:
    assert all(str(text) for text in VARIABLES.values())
    assert {"number", "title", "state", "site", "member", "url", "reply", "survey_url"} <= set(VARIABLES)


def _form(**changes: str) -> dict[str, str]:
    data = {
        "event": "resolved",
        "language": "fr",
        "subject": "Demande n° {{ number }} résolue",
        "body": "Bonjour {{ recipient }},\n{% if survey_url %}Votre avis : {{ survey_url }}{% endif %}",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_an_operator_admin_writes_checks_previews_and_resets_a_template(cast: Cast, as_user) -> None:
    client = as_user(cast.adam)
    # The list names every notification, with a link to start from the default.
    page = client.get(URL).content.decode()
    assert "add/?event=resolved&amp;language=fr" in page
    start = client.get(URL + "add/?event=resolved&language=fr").content.decode()
    assert "Votre demande n° {{ number }} est résolue" in start  # the default, to edit

    bad = client.post(URL + "add/", _form(body="Bonjour {{ destinataire }} {% include 'x.html' %}"))
    assert bad.status_code == 200
    page = bad.content.decode()
    assert "{{ destinataire }}" in page
    assert "{% include %}" in page
    assert not EmailTemplate.objects.exists()
    broken = client.post(URL + "add/", _form(subject="{% if number %}"))
    assert broken.status_code == 200
    assert not EmailTemplate.objects.exists()

    response = client.post(URL + "add/", _form())
    assert response.status_code == 302, response.content.decode()[:3000]
    template = EmailTemplate.objects.get()
    assert (template.operator, template.event, template.language) == (cast.operator, "resolved", "fr")
    preview = client.get(f"{URL}{template.pk}/change/").content.decode()
    assert "Demande n° 1234 résolue" in preview
    assert "Bonjour Alice Dupont," in preview

    again = client.post(URL + "add/", _form(subject="Deux fois"))
    assert again.status_code == 200
    assert 'class="errornote"' in again.content.decode()
    assert EmailTemplate.objects.count() == 1

    response = client.post(URL, {"action": "reset_to_default", "_selected_action": [template.pk]})
    assert response.status_code == 302
    assert not EmailTemplate.objects.exists()


@pytest.mark.django_db
def test_another_operators_admin_neither_sees_nor_edits_the_templates(cast: Cast, as_user) -> None:
    template = EmailTemplate.objects.create(
        operator=cast.operator, event="created", language="fr", subject="Sujet secret Versailles", body="x"
    )
    client = as_user(cast.oscar)
    assert "Sujet secret Versailles" not in client.get(URL).content.decode()
    response = client.get(f"{URL}{template.pk}/change/", follow=True)
    assert response.redirect_chain[-1][0] == "/backoffice/"  # the admin's "no such object"
    assert "Sujet secret Versailles" not in response.content.decode()
    client.post(f"{URL}{template.pk}/change/", _form(event="created", subject="Piraté"))
    client.post(URL, {"action": "reset_to_default", "_selected_action": [template.pk]})
    # His own operator's template for the same event is his to write.
    response = client.post(URL + "add/", _form(event="created"))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.subject == "Sujet secret Versailles"
    assert EmailTemplate.objects.get(operator=cast.other_operator).subject.startswith("Demande")


@pytest.mark.django_db
def test_other_staff_read_the_templates_but_cannot_change_them(cast: Cast, as_user) -> None:
    template = EmailTemplate.objects.create(
        operator=cast.operator, event="created", language="fr", subject="Bien reçu", body="x"
    )
    client = as_user(cast.olivia)
    assert client.get(f"{URL}{template.pk}/change/").status_code == 200
    assert client.post(f"{URL}{template.pk}/change/", _form(event="created")).status_code == 403
    assert client.get(URL + "add/").status_code == 403
    template.refresh_from_db()
    assert template.subject == "Bien reçu"
    for member_user in (cast.alice, cast.charlie):
        assert as_user(member_user).get(URL).status_code == 302  # to the back-office login


@pytest.mark.django_db
def test_the_outbox_is_for_the_operators_admins(cast: Cast, as_user) -> None:
    assert as_user(cast.adam).get("/backoffice/servicedesk/outboundemail/").status_code == 200
    assert as_user(cast.olivia).get("/backoffice/servicedesk/outboundemail/").status_code == 403
