from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("l/<slug:code>", views.follow_link, name="link"),
    path("c/<slug:slug>/", views.landing, name="landing"),
]
