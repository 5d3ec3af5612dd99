"""Placeholder until this resource is written."""

urlpatterns: list = []
