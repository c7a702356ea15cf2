"""The campaigns admin, one module per page family (imported here so Django's autodiscovery finds them)."""

from campaigns.admin import campaigns, touches  # noqa: F401
