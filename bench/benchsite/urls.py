from django.urls import include, path

from bench.benchsite import views
from config.urls import urlpatterns as chorus_urlpatterns

urlpatterns = [
    path("bare/click/<slug:code>", views.bare_insert),
    path("bare/page/<int:pk>/", views.bare_page),
    path("bare/entry/<int:mission>/", views.bare_signed_in_insert),
    path("bare/signed-in/<int:pk>/", views.bare_signed_in_page),
    path("bare/sales/", views.bare_event),
    path("referrals/", include("pinax.referrals.urls")),
    *chorus_urlpatterns,
]
