from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    """Giveaways, missions, draws and referral offers (built on campaigns)."""

    name = "promotions"

    def ready(self):
        # The campaign page shows its giveaways; campaigns may not import promotions, so we register.
        from campaigns.views.landing import add_to_landing_page
        from promotions.landing import giveaways_on_landing_page, offers_on_landing_page

        add_to_landing_page(giveaways_on_landing_page)
        add_to_landing_page(offers_on_landing_page)
