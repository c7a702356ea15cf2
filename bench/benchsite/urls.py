from django.urls import include, path

from bench.benchsite import views
from config.urls import urlpatterns as chorus_urlpatterns

urlpatterns = [
    path("bare/click/<slug:code>", views.bare_insert),
    path("bare/page/<int:pk>/", views.bare_page),
    path("referrals/", include("pinax.referrals.urls")),
    *chorus_urlpatterns,
]
