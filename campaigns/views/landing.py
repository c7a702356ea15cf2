"""`GET /c/<slug>/`: a campaign's public landing page, and its staff preview."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from accounts.memberships import member_roles
from accounts.models import BrandAccount, SocialHandle
from campaigns.models import Campaign
from campaigns.schedules import to_local
from common.recent import RecentCache

LANDING_MAX_AGE = 60  # seconds a shared cache may keep an anonymous landing page


def may_preview(user, campaign):
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    account_ids = {campaign.owner_account_id, *(account.pk for account in campaign.co_accounts.all())}
    return bool(account_ids & set(member_roles(user)))


# Anonymous landing pages are rendered once per few seconds per web process (LANDING_CACHE_SECONDS)
# with a placeholder where each response's CSP nonce goes. Signed-in visitors, who may see
# previews, and visitors with pending messages always get a fresh render.
recent_pages = RecentCache(max_entries=2_000)
NONCE_PLACEHOLDER = "chorus-csp-nonce-placeholder"


@dataclass(frozen=True)
class PublicPage:
    html: str
    etag: str
    last_modified: int


def load_campaign(slug):
    """The campaign with everything its page shows: four queries, whatever the number of accounts."""
    handles = Prefetch("handles", queryset=SocialHandle.objects.order_by("platform", "handle"))
    return get_object_or_404(
        Campaign.objects.select_related("owner_account").prefetch_related(
            Prefetch("owner_account__handles", queryset=SocialHandle.objects.order_by("platform", "handle")),
            Prefetch("co_accounts", queryset=BrandAccount.objects.prefetch_related(handles)),
        ),
        slug=slug,
    )


def render_landing(request, campaign, *, nonce, preview):
    owner = campaign.owner_account
    return render_to_string("campaigns/landing.html", {
        "campaign": campaign,
        "owner": owner,
        "accounts": campaign.running_accounts(),
        "preview": preview,
        "csp_nonce": nonce,
        "starts_local": campaign.starts_at and to_local(campaign.starts_at, owner.timezone),
        "ends_local": campaign.ends_at and to_local(campaign.ends_at, owner.timezone),
        "page_url": request.build_absolute_uri(campaign.get_absolute_url()),
        "card_url": campaign.hero_card and request.build_absolute_uri(campaign.hero_card.url),
    }, request=request)


def public_page(request, slug):
    campaign = load_campaign(slug)
    if not campaign.is_public():
        raise Http404("No campaign here.")
    html = render_landing(request, campaign, nonce=NONCE_PLACEHOLDER, preview=False)
    etag = f'"{hashlib.sha256(html.encode()).hexdigest()[:32]}"'
    return PublicPage(html=html, etag=etag, last_modified=int(campaign.updated_at.timestamp()))


@require_safe
def landing(request, slug):
    """`GET /c/<slug>/`: the campaign's public page; drafts and paused ones only as a staff preview."""
    if request.user.is_authenticated or "messages" in request.COOKIES:
        campaign = load_campaign(slug)
        preview = campaign.status in {Campaign.Status.DRAFT, Campaign.Status.PAUSED}
        if preview and not may_preview(request.user, campaign):
            raise Http404("No campaign here.")
        response = HttpResponse(render_landing(request, campaign, nonce=request.csp_nonce, preview=preview))
        patch_cache_control(response, private=True, no_cache=True)
        return response
    key = (slug, request.get_host(), request.scheme)
    page = recent_pages.get(key)
    if page is None:
        page = public_page(request, slug)
        recent_pages.put(key, page, seconds=settings.LANDING_CACHE_SECONDS)
    response = HttpResponse(page.html.replace(NONCE_PLACEHOLDER, str(request.csp_nonce)))
    response["ETag"] = page.etag
    response["Last-Modified"] = http_date(page.last_modified)
    patch_cache_control(response, public=True, max_age=LANDING_MAX_AGE)
    patch_vary_headers(response, ["Cookie"])
    return get_conditional_response(request, etag=page.etag, last_modified=page.last_modified, response=response)
