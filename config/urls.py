from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.decorators.http import require_GET
from django.views.static import serve

from accounts import views as accounts_views
from accounts.scoping import view_on_site
from config import rq_dashboard
from config.health import healthz

# The admin signs in through allauth, so staff get the same rate limits,
# lockout and email verification as everyone else.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Chorus"
admin.site.site_title = "Chorus admin"
admin.site.index_title = "Campaigns and promotions"
rq_dashboard.register()


@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page says; the icon is an SVG among the static files.
    # Resolved per request: with DEBUG off its name carries a hash from collectstatic's manifest.
    # A temporary redirect: the hashed name changes with the icon, and browsers keep permanent ones.
    return HttpResponseRedirect(static("favicon.svg"))


urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    # "View on site" with the admin's own scoping, ahead of Django's version (which redirects for anyone).
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("campaigns.urls")),
    path("", include("promotions.urls")),
    path("", include("attribution.urls")),
]

if settings.DEBUG or settings.EMBEDDED:
    # Production serves /media/ from the reverse proxy; `make dev` and `make run` have none.
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve,
                               {"document_root": settings.MEDIA_ROOT}))
