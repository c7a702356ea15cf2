from django.urls import path

from promotions.views import claims, draws, giveaways, offers, rules, share

app_name = "promotions"

urlpatterns = [
    path("g/<slug:slug>/", giveaways.giveaway_page, name="giveaway-detail"),
    path("g/<slug:slug>/details/", giveaways.save_details, name="giveaway-details"),
    path("g/<slug:slug>/missions/<int:mission_id>/", giveaways.complete, name="mission-complete"),
    path("g/<slug:slug>/rules/", rules.rules_page, name="giveaway-rules"),
    path("g/<slug:slug>/draws/<int:draw_id>/", draws.draw_page, name="draw-detail"),
    path("g/<slug:slug>/draws/<int:draw_id>/entrants.txt", draws.entrants_file, name="draw-entrants"),
    path("claim/<str:token>/", claims.claim_page, name="claim"),
    path("o/<slug:slug>/", offers.offer_page, name="offer-detail"),
    path("o/<slug:slug>/items/<int:item_id>/start/", offers.start_group, name="group-start"),
    path("o/<slug:slug>/g/<str:code>/", offers.group_page, name="group-detail"),
    path("r/<str:code>", share.follow_share_link, name="share-link"),
    path("my/groups/", offers.my_groups, name="my-groups"),
]
