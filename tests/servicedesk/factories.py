"""Factories for the service desk."""

from __future__ import annotations

import factory

from mutualis.servicedesk.models import Category, FormField, FormFieldKind, IncidentType, ReplyTemplate, Team
from tests.factories import OperatorFactory


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    operator = factory.SubFactory(OperatorFactory)
    name = factory.Sequence(lambda n: f"Équipe {n}")
    code = factory.Sequence(lambda n: f"team-{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    operator = factory.SubFactory(OperatorFactory)
    name = factory.Sequence(lambda n: f"Catégorie {n}")


class IncidentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentType
        skip_postgeneration_save = True

    operator = factory.SelfAttribute("category.operator")
    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Incident {n}")

    @factory.post_generation
    def site_kinds(obj: IncidentType, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create and extracted:
            obj.site_kinds.set(extracted)  # type: ignore[arg-type]


class FormFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FormField

    incident_type = factory.SubFactory(IncidentTypeFactory)
    key = factory.Sequence(lambda n: f"question_{n}")
    label = factory.Sequence(lambda n: f"Question {n}")
    kind = FormFieldKind.SHORT_TEXT


class ReplyTemplateFactory(factory.django.DjangoModelFactory):
    """A reply template for everyone of its operator's staff; `team=` restricts it."""

    class Meta:
        model = ReplyTemplate

    operator = factory.SubFactory(OperatorFactory)
    title = factory.Sequence(lambda n: f"Réponse type {n}")
    body = "Bonjour {demandeur}, votre demande n° {numéro} est prise en compte."

    class Params:
        inactive = factory.Trait(is_active=False)
