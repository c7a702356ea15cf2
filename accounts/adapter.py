"""allauth, told where this site lives and who its visitors are.

Client IP: allauth's per-IP limits (failed logins, sign-ups) follow the
project's one rule, that of `campaigns.visitors.client_ip()`: REMOTE_ADDR, or
with TRUSTED_PROXY_COUNT=N the Nth address from the right of X-Forwarded-For
(settings feed allauth the same count). Where allauth would fail instead (a
header shorter than N: a request that did not come through all our proxies),
both use REMOTE_ADDR.

Links in e-mails start with PUBLIC_BASE_URL.

allauth builds the links it mails (password reset, e-mail confirmation, "sign up
instead") from the request that triggered the mail, or from the Site row when
there is none. Either can be wrong: a request through an internal host name, a
Site row still saying localhost:8000. Chorus has one answer for "where do people
reach us", `settings.PUBLIC_BASE_URL`, and every mailed link is rebased onto it.
"""

from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.exceptions import ImproperlyConfigured


def on_public_site(url):
    """`url` with its scheme and host replaced by PUBLIC_BASE_URL's; relative paths get them added."""
    public = urlsplit(settings.PUBLIC_BASE_URL)
    parts = urlsplit(url)
    return urlunsplit((public.scheme, public.netloc, parts.path, parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:  # X-Forwarded-For has fewer entries than TRUSTED_PROXY_COUNT
            return request.META.get("REMOTE_ADDR", "")

    def send_mail(self, template_prefix, email, context):
        context = {
            key: on_public_site(value) if key.endswith("_url") and isinstance(value, str) else value
            for key, value in context.items()
        }
        # The templates say "Hello from {{ site_name }}" and sign with {{ site_domain }}.
        context.setdefault("current_site", SimpleNamespace(
            name=Site.objects.get_current().name, domain=urlsplit(settings.PUBLIC_BASE_URL).netloc,
        ))
        super().send_mail(template_prefix, email, context)

