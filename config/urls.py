from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from config import rq_dashboard
from config.health import healthz

# The admin signs in through allauth, so staff get the same rate limits,
# lockout and email verification as everyone else.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Chorus"
admin.site.site_title = "Chorus admin"
admin.site.index_title = "Campaigns and promotions"
rq_dashboard.register()

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("campaigns.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
