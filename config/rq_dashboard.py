"""The django-rq dashboard, for superusers only.

django-rq lets any staff user open its dashboard, but job arguments can name
any account's objects, so Chorus re-registers it behind a superuser check.
"""

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django_rq.admin import QueueAdmin
from django_rq.models import Dashboard


def superuser_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_active or not request.user.is_superuser:
            raise PermissionDenied("The job dashboard is for superusers.")
        return view(request, *args, **kwargs)

    return wrapper


class SuperuserQueueAdmin(QueueAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def get_urls(self):
        urls = super().get_urls()
        for pattern in urls:
            pattern.callback = superuser_required(pattern.callback)
        return urls


def register():
    if admin.site.is_registered(Dashboard):
        admin.site.unregister(Dashboard)
    admin.site.register(Dashboard, SuperuserQueueAdmin)
