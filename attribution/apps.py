from django.apps import AppConfig


class AttributionConfig(AppConfig):
    """Sales in, credit, lift and finance exports (built on promotions)."""

    name = "attribution"
