"""Two clients changing the same asset or site through the API: the ETag of a GET, sent
back in If-Match, stops a change made on a copy someone else has changed since (RFC 9110
§13.1.1, 412) instead of letting the last write win silently."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from mutualis.registry import services
from mutualis.registry.models import Asset, AssetStatus, Site
from tests.api.support import problem
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

STRONG_TAG = re.compile(r'^"[0-9a-f]{32}"$')


def _tag_of(api: Any, path: str) -> str:
    response = api.get(path)
    assert response.status_code == 200, response.content.decode()[:800]
    tag: str = response["ETag"]
    return tag


# Reading.


def test_one_asset_comes_with_a_strong_entity_tag(cast: Cast, api) -> None:
    adam = api(cast.adam)
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(adam, path)
    assert STRONG_TAG.match(tag)
    assert _tag_of(adam, path) == tag
    # Each person reads the same representation, and so the same tag.
    assert _tag_of(api(cast.alice), path) == tag
    services.update_asset(asset=Asset.objects.get(pk=cast.asset_a.pk), label="Tablette du maire")
    assert _tag_of(adam, path) != tag


def test_the_tag_follows_what_the_representation_shows_of_other_rows(cast: Cast, api) -> None:
    # The asset shows its site's name: renaming the site changes what a client reads.
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    services.update_site(site=Site.objects.get(pk=cast.site_a.pk), name="Hôtel de ville")
    assert _tag_of(api(cast.adam), path) != tag


def test_a_copy_still_current_is_not_sent_again(cast: Cast, api) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    for sent in (tag, f"W/{tag}", f'"0123", {tag}', "*"):
        response = api(cast.adam, {"If-None-Match": sent}).get(path)
        assert (response.status_code, response["ETag"], response.content) == (304, tag, b"")
    services.update_asset(asset=Asset.objects.get(pk=cast.asset_a.pk), notes="Étui neuf")
    response = api(cast.adam, {"If-None-Match": tag}).get(path)
    assert response.status_code == 200
    assert response.json()["notes"] == "Étui neuf"
    assert response["ETag"] != tag


def test_lists_carry_no_entity_tag(cast: Cast, api) -> None:
    assert "ETag" not in api(cast.adam).get("assets/")


# Changing an asset.


def test_a_change_sent_with_the_current_tag_is_written_and_answers_the_new_tag(cast: Cast, api) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    response = api(cast.adam, {"If-Match": tag}).patch(path, {"label": "Tablette du maire"})
    assert response.status_code == 200, response.content.decode()[:800]
    assert response.json()["label"] == "Tablette du maire"
    new_tag = response["ETag"]
    assert STRONG_TAG.match(new_tag)
    assert new_tag != tag
    # The tag answered is the one a GET now gives: the client can change again at once.
    assert _tag_of(api(cast.adam), path) == new_tag
    again = api(cast.adam, {"If-Match": new_tag}).patch(path, {"notes": "Étui"})
    assert again.status_code == 200, again.content.decode()[:800]


def test_a_change_made_on_a_stale_copy_is_refused_and_nothing_is_written(cast: Cast, api) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.alice), path)
    # Meanwhile, someone else renames it.
    services.update_asset(asset=Asset.objects.get(pk=cast.asset_a.pk), label="Tablette de l'accueil")
    body = problem(api(cast.adam, {"If-Match": tag}).patch(path, {"label": "Tablette du maire"}), 412)
    assert body["title"] == "Precondition failed"
    assert body["type"].endswith("/precondition-failed")
    assert body["detail"] == (
        "The asset changed since you read it: nothing was written. GET it again, apply your change "
        "to what it is now, and send it with the new ETag in If-Match."
    )
    asset = Asset.objects.get(pk=cast.asset_a.pk)
    assert asset.label == "Tablette de l'accueil"


def test_a_status_change_meanwhile_makes_the_copy_stale(cast: Cast, api) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    services.change_asset_status(asset=cast.asset_a, status=AssetStatus.IN_REPAIR)
    problem(api(cast.adam, {"If-Match": tag}).patch(path, {"notes": "Confiée à l'atelier"}), 412)
    assert Asset.objects.get(pk=cast.asset_a.pk).notes == ""


def test_a_status_decided_on_a_stale_copy_is_refused(cast: Cast, api) -> None:
    """A client reads the tablet in service and puts it back in stock; meanwhile someone
    declared it lost. Lost to in stock is a move the life cycle allows: without If-Match it
    would replace "lost" unseen."""
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    services.change_asset_status(asset=Asset.objects.get(pk=cast.asset_a.pk), status=AssetStatus.LOST)
    changes = cast.asset_a.status_changes.count()
    client = api(cast.adam, {"If-Match": tag})
    problem(client.post(f"{path}status/", {"status": AssetStatus.IN_STOCK, "note": ""}), 412)
    asset = Asset.objects.get(pk=cast.asset_a.pk)
    assert asset.status == AssetStatus.LOST
    assert asset.status_changes.count() == changes
    # With the current tag it goes through, and answers the new one.
    current = _tag_of(api(cast.adam), path)
    response = api(cast.adam, {"If-Match": current}).post(
        f"{path}status/", {"status": AssetStatus.IN_STOCK, "note": ""}
    )
    assert response.status_code == 200, response.content.decode()
    assert response["ETag"] == _tag_of(api(cast.adam), path) != current
    assert Asset.objects.get(pk=cast.asset_a.pk).status == AssetStatus.IN_STOCK


def test_an_illegal_move_stays_a_409_with_a_current_tag(cast: Cast, api) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    current = Asset.objects.get(pk=cast.asset_a.pk).status
    problem(api(cast.adam, {"If-Match": tag}).post(f"{path}status/", {"status": current, "note": ""}), 409)


def test_the_same_tag_writes_once(cast: Cast, api) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    first = api(cast.adam, {"If-Match": tag}).patch(path, {"label": "Premier"})
    assert first.status_code == 200
    problem(api(cast.adam, {"If-Match": tag}).patch(path, {"label": "Second"}), 412)
    assert Asset.objects.get(pk=cast.asset_a.pk).label == "Premier"


def test_a_stale_tag_is_refused_before_the_body_is_read(cast: Cast, api) -> None:
    # RFC 9110 §13.2.1: the precondition is evaluated before the request content is.
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    services.update_asset(asset=Asset.objects.get(pk=cast.asset_a.pk), notes="Changée")
    problem(api(cast.adam, {"If-Match": tag}).patch(path, {"status": "lost"}), 412)


@pytest.mark.parametrize("sent", ["*", '"0123", {tag}'])
def test_any_tag_of_the_list_or_a_star_matches(cast: Cast, api, sent: str) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    response = api(cast.adam, {"If-Match": sent.format(tag=tag)}).patch(path, {"label": "Libellé"})
    assert response.status_code == 200, response.content.decode()[:800]


def test_a_weak_tag_never_matches_if_match(cast: Cast, api) -> None:
    # RFC 9110 §13.1.1: If-Match uses the strong comparison.
    path = f"assets/{cast.asset_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    problem(api(cast.adam, {"If-Match": f"W/{tag}"}).patch(path, {"label": "Libellé"}), 412)
    assert Asset.objects.get(pk=cast.asset_a.pk).label == ""


def test_a_tag_sent_without_its_quotes_is_a_bad_request(cast: Cast, api) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    bare = _tag_of(api(cast.adam), path).strip('"')
    body = problem(api(cast.adam, {"If-Match": bare}).patch(path, {"label": "Libellé"}), 400)
    assert "double quotes included" in body["detail"]
    assert Asset.objects.get(pk=cast.asset_a.pk).label == ""


def test_without_if_match_the_change_is_written_as_before(cast: Cast, api) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    response = api(cast.adam).patch(path, {"label": "Tablette du maire"})
    assert response.status_code == 200
    assert response["ETag"] == _tag_of(api(cast.adam), path)
    assert Asset.objects.get(pk=cast.asset_a.pk).label == "Tablette du maire"


def test_the_refusal_is_in_french_for_a_french_client(cast: Cast, api) -> None:
    path = f"assets/{cast.asset_a.pk}/"
    stale = api(cast.adam, {"If-Match": '"0123"', "Accept-Language": "fr"})
    body = problem(stale.patch(path, {"label": "Libellé"}), 412)
    assert body["title"] == "Échec de la précondition"
    assert body["detail"].startswith("L’équipement a changé depuis votre lecture : rien n’a été enregistré.")


# Changing a site.


def test_a_site_is_changed_only_from_its_current_copy(cast: Cast, api) -> None:
    path = f"sites/{cast.site_a.pk}/"
    tag = _tag_of(api(cast.adam), path)
    assert STRONG_TAG.match(tag)
    services.update_site(site=Site.objects.get(pk=cast.site_a.pk), phone="01 30 97 80 00")
    body = problem(api(cast.adam, {"If-Match": tag}).patch(path, {"notes": "Accès par la cour"}), 412)
    assert body["detail"].startswith("The site changed since you read it")
    assert Site.objects.get(pk=cast.site_a.pk).notes == ""
    current = _tag_of(api(cast.adam), path)
    response = api(cast.adam, {"If-Match": current}).patch(path, {"notes": "Accès par la cour"})
    assert response.status_code == 200, response.content.decode()[:800]
    assert response["ETag"] == _tag_of(api(cast.adam), path) != current
    site = Site.objects.get(pk=cast.site_a.pk)
    assert (site.notes, site.phone) == ("Accès par la cour", "01 30 97 80 00")
    assert api(cast.adam, {"If-None-Match": response["ETag"]}).get(path).status_code == 304


def test_a_site_changed_from_a_stale_object_keeps_the_fields_it_did_not_change(cast: Cast) -> None:
    # Only the fields given are written: a full save would write back the phone read before.
    stale = Site.objects.get(pk=cast.site_a.pk)
    services.update_site(site=Site.objects.get(pk=cast.site_a.pk), phone="01 30 97 80 00")
    services.update_site(site=stale, notes="Accès par la cour")
    site = Site.objects.get(pk=cast.site_a.pk)
    assert (site.notes, site.phone) == ("Accès par la cour", "01 30 97 80 00")


# Who may know.


@pytest.mark.parametrize("resource", ["assets", "sites"])
def test_outsiders_learn_nothing_from_tags(cast: Cast, api, resource: str) -> None:
    obj = cast.asset_a if resource == "assets" else cast.site_a
    path = f"{resource}/{obj.pk}/"
    tag = _tag_of(api(cast.adam), path)
    for outsider in (cast.charlie, cast.oscar):
        for headers in (
            {},
            {"If-None-Match": tag},
            {"If-Match": tag},
            {"If-Match": '"0123"'},
            {"If-Match": "x"},
        ):
            client = api(outsider, headers)
            for response in (client.get(path), client.patch(path, {"notes": "Pris"})):
                problem(response, 404)
                assert "ETag" not in response
    assert type(obj).objects.get(pk=obj.pk).notes == ""


def test_a_role_that_may_not_change_is_refused_before_any_tag_is_compared(cast: Cast, api) -> None:
    # RFC 9110 §13.2.1: preconditions are ignored when the answer would be an error anyway.
    path = f"assets/{cast.asset_a.pk}/"
    for headers in ({"If-Match": '"0123"'}, {"If-Match": "x"}):
        body = problem(api(cast.olivia, headers).patch(path, {"label": "Pris"}), 403)
        assert body["detail"] == "Your role (service-desk agent) does not allow changing assets."


# What integrators read.


def test_the_schema_documents_the_tags() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/assets/{id}/", "/api/v1/sites/{id}/"):
        read, change = schema["paths"][path]["get"], schema["paths"][path]["patch"]
        assert "ETag" in read["responses"]["200"]["headers"]
        assert "ETag" in change["responses"]["200"]["headers"]
        assert "304" in read["responses"]
        assert {p["name"] for p in read["parameters"] if p["in"] == "header"} == {"If-None-Match"}
        assert {p["name"] for p in change["parameters"] if p["in"] == "header"} == {"If-Match"}
        refused = change["responses"]["412"]["content"]["application/problem+json"]["schema"]
        assert refused == {"$ref": "#/components/schemas/Problem"}
