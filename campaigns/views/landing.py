"""`GET /c/<slug>/`: a campaign's public landing page, its staff preview, and its old addresses.

Who sees what, by status:

| status    | the public                                   | staff of the running accounts |
|-----------|----------------------------------------------|-------------------------------|
| draft     | the friendly 404                             | a preview                     |
| scheduled | the page, "starts on …"                      | the same                      |
| live      | the page; entries accepted                   | the same                      |
| paused    | the page, "paused — back soon"; no entries   | the same                      |
| ended     | the page, "has ended" with the time it ended | the same                      |
| archived  | as ended (404 if it was archived as a draft) | the same (or a preview)       |

Posted links must keep working after a pause, an end or a rename: only a
draft, which nobody outside could have seen, is hidden.
"""

import base64
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from accounts.memberships import member_roles
from accounts.models import BrandAccount, SocialHandle
from campaigns.models import Campaign, RetiredSlug
from campaigns.schedules import to_local
from campaigns.status import is_shown_to_the_public, when_it_ended
from common.addresses import absolute_url
from common.recent import RecentCache

Status = Campaign.Status

# Seconds browsers and shared caches may keep an anonymous landing page (or an old slug's redirect)
# without asking again. With LANDING_CACHE_SECONDS in each web process, a status change reaches every
# visitor within 65 s: no slower than the scheduler, which starts and ends campaigns once a minute.
# Entries will be checked against the status when they are submitted, so a stale page admits nothing.
LANDING_MAX_AGE = 60


# What apps above campaigns add to the page (promotions: the campaign's giveaways), in the order added.
# campaigns never imports them: each one registers from its AppConfig.ready().
page_parts = []


def add_to_landing_page(provider):
    """Show what `provider(campaign, *, at, preview, accepting_entries)` returns after the campaign's text.

    A provider returns rendered HTML, or "" for nothing. It goes into the anonymous page that a web
    process serves to every visitor for LANDING_CACHE_SECONDS, behind one ETag and one CSP hash, so it
    must not depend on the visitor (no CSRF token, no name, nothing from the session) and must not add
    <style> or <script> elements; and it reads what it needs in a fixed number of queries, however many
    objects it shows, so the page stays cheap.
    """
    if provider not in page_parts:
        page_parts.append(provider)
    return provider


def may_preview(user, campaign):
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    account_ids = {campaign.owner_account_id, *(account.pk for account in campaign.co_accounts.all())}
    return bool(account_ids & set(member_roles(user)))


# Anonymous landing pages are rendered once per few seconds per web process (LANDING_CACHE_SECONDS),
# and so are the redirects of retired slugs. Signed-in visitors, who may see previews, and visitors
# with pending messages always get a fresh render.
recent_pages = RecentCache(max_entries=2_000)


@dataclass(frozen=True)
class PublicPage:
    html: str
    etag: str
    last_modified: int
    # The CSP sources that allow the page's own <style> elements: their sha256 hashes. The page is
    # byte-identical for everyone until it changes (no per-request nonce), so one cached body, its ETag,
    # a 304 and a shared cache all agree with the header.
    style_sources: tuple[str, ...]


@dataclass(frozen=True)
class MovedPage:
    """An old slug of a campaign that has been public: its current page."""

    location: str


STYLE_ELEMENT = re.compile(r"<style(?:\s[^>]*)?>(.*?)</style>", re.DOTALL)


def csp_hash(text):
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def style_sources(html):
    """The CSP hash of each <style> element in `html`, computed over its exact text, as browsers do."""
    return tuple(dict.fromkeys(csp_hash(content) for content in STYLE_ELEMENT.findall(html)))


def allow_own_styles(response, sources):
    # Read by django-csp's middleware: adds the hashes to this response's style-src only.
    if sources:
        response._csp_update = {"style-src": list(sources)}
    return response


def load_campaign(slug):
    """The campaign with everything its page shows, or None: four queries, whatever the number of accounts."""
    handles = Prefetch("handles", queryset=SocialHandle.objects.order_by("platform", "handle"))
    try:
        return Campaign.objects.select_related("owner_account").prefetch_related(
            Prefetch("owner_account__handles", queryset=SocialHandle.objects.order_by("platform", "handle")),
            Prefetch("co_accounts", queryset=BrandAccount.objects.prefetch_related(handles)),
        ).get(slug=slug)
    except Campaign.DoesNotExist:
        return None


def moved_page(slug):
    """The current page of the campaign that used to be at `slug`, or Http404. One query.

    A campaign taken back to draft is not followed: its new slug may not be meant for the public yet.
    """
    retired = RetiredSlug.objects.select_related("campaign").only("campaign__slug", "campaign__status").filter(
        slug=slug).first()
    if retired is None or retired.campaign.status == Status.DRAFT:
        raise Http404("No campaign here.")
    return MovedPage(location=retired.campaign.get_absolute_url())


def render_landing(request, campaign, *, ended_at, preview):
    owner = campaign.owner_account
    end = ended_at or campaign.ends_at
    accepting_entries = campaign.status == Status.LIVE and not preview
    at = timezone.now()
    parts = [provider(campaign, at=at, preview=preview, accepting_entries=accepting_entries)
             for provider in page_parts]
    return render_to_string("campaigns/landing.html", {
        "campaign": campaign,
        "owner": owner,
        "accounts": campaign.running_accounts(),
        "preview": preview,
        # Entry forms (giveaways, missions) show and accept only while this is true.
        "accepting_entries": accepting_entries,
        "parts": [part for part in parts if part],
        "starts_local": campaign.starts_at and to_local(campaign.starts_at, owner.timezone),
        # An ended campaign shows when it really ended: "End now" and the minutely sweep differ from the plan.
        "ends_local": end and to_local(end, owner.timezone),
        # Shared posts and search engines get the public address, whatever host the request came by.
        "page_url": absolute_url(campaign.get_absolute_url()),
        "card_url": campaign.hero_card and absolute_url(campaign.hero_card.url),
    }, request=request)


def public_page(request, slug):
    """What an anonymous visitor gets for `slug`: a PublicPage or a MovedPage, or Http404."""
    campaign = load_campaign(slug)
    if campaign is None:
        return moved_page(slug)
    ended_at = when_it_ended(campaign)
    if not is_shown_to_the_public(campaign, ended_at=ended_at):
        raise Http404("No campaign here.")
    html = render_landing(request, campaign, ended_at=ended_at, preview=False)
    etag = f'"{hashlib.sha256(html.encode()).hexdigest()[:32]}"'
    return PublicPage(html=html, etag=etag, last_modified=int(campaign.updated_at.timestamp()),
                      style_sources=style_sources(html))


def redirect_to(request, page):
    """301 to the campaign's current page, with the visitor's query string (UTM values and click ids)."""
    query = request.META.get("QUERY_STRING", "")
    response = HttpResponsePermanentRedirect(f"{page.location}?{query}" if query else page.location)
    # Not cached forever, as browsers would by default: a campaign may take an old slug back, and a
    # remembered redirect from that slug would then loop.
    patch_cache_control(response, public=True, max_age=LANDING_MAX_AGE)
    return response


def personal_page(request, slug):
    """A fresh render for signed-in visitors (previews of drafts for staff) and pending messages."""
    campaign = load_campaign(slug)
    if campaign is None:
        return redirect_to(request, moved_page(slug))
    ended_at = when_it_ended(campaign)
    preview = not is_shown_to_the_public(campaign, ended_at=ended_at)
    if preview and not may_preview(request.user, campaign):
        raise Http404("No campaign here.")
    html = render_landing(request, campaign, ended_at=ended_at, preview=preview)
    response = HttpResponse(html)
    patch_cache_control(response, private=True, no_cache=True)
    return allow_own_styles(response, style_sources(html))


@require_safe
def landing(request, slug):
    """`GET /c/<slug>/`: the campaign's page, a 301 from one of its old slugs, or the friendly 404."""
    if request.user.is_authenticated or "messages" in request.COOKIES:
        return personal_page(request, slug)
    page = recent_pages.get(slug)  # the page names only PUBLIC_BASE_URL, so one copy serves every host
    if page is None:
        page = public_page(request, slug)
        recent_pages.put(slug, page, seconds=settings.LANDING_CACHE_SECONDS)
    if isinstance(page, MovedPage):
        return redirect_to(request, page)
    response = HttpResponse(page.html)
    response["ETag"] = page.etag
    response["Last-Modified"] = http_date(page.last_modified)
    patch_cache_control(response, public=True, max_age=LANDING_MAX_AGE)
    patch_vary_headers(response, ["Cookie"])
    response = get_conditional_response(request, etag=page.etag, last_modified=page.last_modified,
                                        response=response)
    # Set after the conditional check, so a 304 carries the same policy as the 200 it revalidates.
    return allow_own_styles(response, page.style_sources)
