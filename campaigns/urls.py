from django.urls import path

from campaigns.views import landing, links

app_name = "campaigns"

urlpatterns = [
    path("l/<slug:code>", links.follow_link, name="link"),
    path("c/<slug:slug>/", landing.landing, name="landing"),
]
