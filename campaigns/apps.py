from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Campaigns, tracking links, touches and schedules (built on accounts)."""

    name = "campaigns"
