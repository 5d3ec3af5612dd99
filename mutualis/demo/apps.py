from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data generator (`mutualis demo_data`); it has no models of its own."""

    name = "mutualis.demo"
    label = "demo"
    verbose_name = "Demo data"
