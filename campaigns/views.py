import hashlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from accounts.memberships import member_roles
from accounts.models import BrandAccount, SocialHandle
from campaigns.links import find_clickable_link, redirect_url
from campaigns.models import Campaign, Touch
from campaigns.schedules import to_local
from campaigns.touches import CLICK_ID_FIELDS, record_touch, touch_facts_from_request
from campaigns.visitors import set_visitor_cookie, visitor_id_from
from config.client_ip import client_ip
from config.recent import RecentCache

LANDING_MAX_AGE = 60  # seconds a shared cache may keep an anonymous landing page


@require_safe
def follow_link(request, code):
    """`GET /l/<code>`: record a touch and redirect. Two queries (the joined link lookup and the INSERT),
    one while the link is in this process's short-lived cache."""
    link = find_clickable_link(code)
    if link is None:
        raise Http404("This link does not exist or has been switched off.")
    facts = touch_facts_from_request(request, client_ip=client_ip(request))
    known_visitor = visitor_id_from(request)
    visitor_id = known_visitor or uuid.uuid4()
    # The user id straight from the session: loading the user would cost a query per click.
    user_id = request.session.get(SESSION_KEY) if request.COOKIES else None
    touch = {"visitor_id": visitor_id, "campaign": link.campaign, "account": link.account, "link": link,
             "kind": Touch.Kind.LINK_CLICK, "facts": facts}
    try:
        record_touch(user=user_id, **touch)
    except IntegrityError:
        if user_id is None:
            raise
        record_touch(user=None, **touch)  # a session left behind by a deleted user: the click still counts
    response = HttpResponseRedirect(redirect_url(link, extra_parameters={
        name: value for name, value in request.GET.items() if name in CLICK_ID_FIELDS
    }))
    patch_cache_control(response, no_store=True)
    if not facts.is_bot and known_visitor is None:
        set_visitor_cookie(response, request, visitor_id)
    return response


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
