import hashlib
import uuid

from django.contrib.auth import SESSION_KEY
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from accounts.memberships import member_roles
from accounts.models import BrandAccount
from campaigns.links import destination_problem, redirect_url
from campaigns.models import Campaign, Touch, TrackingLink
from campaigns.schedules import to_local
from campaigns.touches import CLICK_ID_FIELDS, record_touch, touch_facts_from_request
from campaigns.visitors import set_visitor_cookie, visitor_id_from
from config.client_ip import client_ip

LANDING_MAX_AGE = 60  # seconds a shared cache may keep an anonymous landing page


@require_safe
def follow_link(request, code):
    """`GET /l/<code>`: record a touch and redirect. Two queries: the link (joined) and the INSERT."""
    link = (TrackingLink.objects.select_related("campaign", "account")
            .filter(code=code, active=True).exclude(campaign__status=Campaign.Status.DRAFT).first())
    if link is None or destination_problem(link.destination_url):
        raise Http404("This link does not exist or has been switched off.")
    facts = touch_facts_from_request(request, client_ip=client_ip(request))
    known_visitor = visitor_id_from(request)
    visitor_id = known_visitor or uuid.uuid4()
    # The user id straight from the session: loading the user would cost a query per click.
    user_id = request.session.get(SESSION_KEY) if request.COOKIES else None
    record_touch(visitor_id=visitor_id, user=user_id, campaign=link.campaign, account=link.account,
                 link=link, kind=Touch.Kind.LINK_CLICK, facts=facts)
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


@require_safe
def landing(request, slug):
    """`GET /c/<slug>/`: the campaign's public page; drafts and paused ones only as a staff preview."""
    accounts_with_handles = BrandAccount.objects.prefetch_related("handles")
    campaign = get_object_or_404(
        Campaign.objects.select_related("owner_account").prefetch_related(
            "owner_account__handles", Prefetch("co_accounts", queryset=accounts_with_handles)
        ),
        slug=slug,
    )
    preview = campaign.status in {Campaign.Status.DRAFT, Campaign.Status.PAUSED}
    if preview and not may_preview(request.user, campaign):
        raise Http404("No campaign here.")
    owner = campaign.owner_account
    context = {
        "campaign": campaign,
        "owner": owner,
        "accounts": campaign.running_accounts(),
        "preview": preview,
        "starts_local": campaign.starts_at and to_local(campaign.starts_at, owner.timezone),
        "ends_local": campaign.ends_at and to_local(campaign.ends_at, owner.timezone),
        "page_url": request.build_absolute_uri(campaign.get_absolute_url()),
        "card_url": campaign.hero_card and request.build_absolute_uri(campaign.hero_card.url),
    }
    response = render(request, "campaigns/landing.html", context)
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
        return response
    # The CSP nonce differs on every response; the page it protects does not.
    stable_content = response.content.replace(str(request.csp_nonce).encode(), b"")
    etag = f'"{hashlib.sha256(stable_content).hexdigest()[:32]}"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(campaign.updated_at.timestamp())
    patch_cache_control(response, public=True, max_age=LANDING_MAX_AGE)
    return get_conditional_response(request, etag=etag, last_modified=int(campaign.updated_at.timestamp()),
                                    response=response)
