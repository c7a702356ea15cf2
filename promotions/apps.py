from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    """Giveaways, missions, draws and referral offers (built on campaigns)."""

    name = "promotions"
