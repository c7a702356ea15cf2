"""The django-rq dashboard, for superusers only, working under our Content-Security-Policy.

django-rq lets any staff user open its dashboard, but job arguments can name
any account's objects, so Chorus re-registers it behind a superuser check.

Its job lists carry one inline script (it wires the admin's action checkboxes),
which our CSP (`script-src 'self'`) would block. Its pages, and only its pages,
allow that script by its hash, computed from django-rq's own template, so an
upgrade that changes the script keeps working and nothing else is let in.
"""

import base64
import hashlib
import re
from functools import wraps
from pathlib import Path

import django_rq
from csp.decorators import csp_update
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django_rq.admin import QueueAdmin
from django_rq.models import Dashboard

INLINE_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.DOTALL)


def inline_script_hashes():
    """CSP sources ('sha256-…') for every inline script in django-rq's templates; they contain no template tags."""
    hashes = set()
    for template in (Path(django_rq.__file__).parent / "templates" / "django_rq").glob("*.html"):
        for body in INLINE_SCRIPT.findall(template.read_text()):
            if body.strip():
                digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


allow_dashboard_scripts = csp_update({"script-src": inline_script_hashes()})


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
            pattern.callback = allow_dashboard_scripts(superuser_required(pattern.callback))
        return urls


def register():
    if admin.site.is_registered(Dashboard):
        admin.site.unregister(Dashboard)
    admin.site.register(Dashboard, SuperuserQueueAdmin)
