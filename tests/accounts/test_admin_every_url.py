"""Every URL the admin site registers, walked as bob (another account) and charlie (member of nothing).

Per-model tests cover the pages one knows about; this walks the admin's URL patterns themselves, so a
page added tomorrow (a custom view, an export, "view on site") is tried from the wrong side too.
"""

import re
import uuid

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, reverse

from campaigns.models import Campaign, Touch, TrackingLink
from campaigns.touches import TouchFacts, record_touch
from tests.campaigns.conftest import DAY, NOW, make_campaign

SECRET_NAME = "Alice Secret Sale"
SECRET_SLUG = "alice-secret-sale"


@pytest.fixture
def alices_things(main_account, alice):
    campaign = make_campaign(main_account, slug=SECRET_SLUG, name=SECRET_NAME, starts_at=NOW + DAY,
                             ends_at=NOW + 5 * DAY)
    link = TrackingLink.objects.create(campaign=campaign, account=main_account, label="launch")
    record_touch(visitor_id=uuid.uuid4(), campaign=campaign, account=main_account, link=link,
                 kind=Touch.Kind.LINK_CLICK, facts=TouchFacts())
    return {Campaign: campaign, TrackingLink: link, Touch: Touch.objects.get(kind=Touch.Kind.LINK_CLICK),
            type(main_account): main_account,
            **alices_giveaway_things(campaign, main_account, alice), **alices_referral_things(campaign, main_account),
            **alices_sales_things(campaign, main_account, link)}


def alices_sales_things(campaign, main_account, link):
    """A sales source of the main account with a sale credited to the secret campaign, its inbox event, a refused
    delivery, a CSV import, a thank-you template and its send log: their names and order ids are secrets too."""
    from attribution import events, ingest, sources
    from attribution.models import (
        Credit,
        InboxEvent,
        RejectedDelivery,
        Sale,
        SalesImport,
        SalesSource,
        ThankYouMessage,
        ThankYouTemplate,
    )

    source = sources.create_source(account=main_account, name=SECRET_NAME, key=f"{SECRET_SLUG}-shop", at=NOW)
    visitor = uuid.uuid4()
    record_touch(visitor_id=visitor, campaign=campaign, account=main_account, link=link,
                 kind=Touch.Kind.LINK_CLICK, facts=TouchFacts(), at=NOW - DAY)
    facts = events.read_event({"id": f"{SECRET_SLUG}-event", "type": "order.paid", "order_id": f"{SECRET_SLUG}-sale",
                               "occurred_at": NOW.isoformat(), "amount": "100.00", "currency": "USD",
                               "customer_email": f"{SECRET_SLUG}-buyer@example.org", "visitor_id": str(visitor)},
                              now=NOW)
    event = ingest.receive_event(source=source, facts=facts, via=InboxEvent.Via.WEBHOOK, at=NOW, apply_now=True).event
    sale = Sale.objects.get(source=source)
    rejected = RejectedDelivery.objects.create(source=source, received_at=NOW, status_code=401, error="signature",
                                              detail=f"{SECRET_NAME} refused", event_id=f"{SECRET_SLUG}-bad")
    upload = SalesImport.objects.create(source=source, file_name="x.csv", original_name=f"{SECRET_SLUG}.csv",
                                        requested_at=NOW)
    template = ThankYouTemplate.objects.create(account=main_account, subject=f"{SECRET_NAME} thanks")
    message = ThankYouMessage.objects.create(sale=sale, account=main_account, status="sent", at=NOW)
    return {SalesSource: source, Sale: sale, Credit: Credit.objects.filter(sale=sale).first(),
            InboxEvent: InboxEvent.objects.get(pk=event.pk), RejectedDelivery: rejected, SalesImport: upload,
            ThankYouTemplate: template, ThankYouMessage: message}


def alices_referral_things(campaign, main_account):
    """A referral offer of the secret campaign: a group, a purchase held for review, ledger rows, a tier change and
    a share-link click from a site whose name is a secret too (the group page lists referring sites)."""
    from promotions.models import (
        GroupMember,
        LedgerEntry,
        Participant,
        ReferralGroup,
        ReferralOffer,
        TierChange,
    )
    from promotions.referrals import touch_reference
    from tests.promotions.conftest import make_offer

    offer = make_offer(campaign, slug=f"{SECRET_SLUG}-offer", title=f"{SECRET_NAME} offer")
    item = offer.items.get()
    item.name = f"{SECRET_NAME} flight"
    item.save(update_fields=["name"])
    founder_email = f"{SECRET_SLUG}-founder@example.org"
    founder = Participant.objects.create(identity=founder_email, email=founder_email, created_at=NOW)
    group = ReferralGroup.objects.create(offer=offer, item=item, founder=founder, created_at=NOW,
                                         disabled_at=NOW, disabled_reason=f"{SECRET_NAME} coupon site")
    buyer_email = f"{SECRET_SLUG}-buyer@example.org"
    buyer = Participant.objects.create(identity=buyer_email, email=buyer_email, created_at=NOW)
    member = GroupMember.objects.create(
        offer=offer, group=group, participant=buyer, generation=1, share_code=group.code + "abcdef",
        order_reference=f"{SECRET_SLUG}-order", list_price="200.00", paid="200.00", currency="USD",
        status=GroupMember.Status.FLAGGED, reason=f"{SECRET_NAME} burst", bought_at=NOW, hold_until=NOW)
    LedgerEntry.objects.create(offer=offer, group=group, member=member, kind=LedgerEntry.Kind.PAYMENT,
                               amount="200.00", currency="USD", tier_percent=0, note=f"{SECRET_NAME} paid", at=NOW)
    TierChange.objects.create(group=group, from_percent=0, to_percent=10, confirmed_count=2,
                              cause=TierChange.Cause.JOIN, at=NOW)
    record_touch(visitor_id=uuid.uuid4(), campaign=campaign, account=main_account, kind=Touch.Kind.REFERRAL_CLICK,
                 reference=touch_reference(group), facts=TouchFacts(referrer_host=f"{SECRET_SLUG}.example"))
    return {ReferralOffer: offer, ReferralGroup: group, GroupMember: member}


def alices_giveaway_things(campaign, main_account, alice):
    """A giveaway of the secret campaign with a drawn round, an entry awaiting review, a flag and a winner."""
    from promotions.models import Draw, Entry, Flag, Giveaway, Mission, Participant, Round, RulesVersion, Winner
    from tests.promotions.conftest import make_giveaway, make_mission

    giveaway = make_giveaway(campaign, slug=f"{SECRET_SLUG}-giveaway", title=f"{SECRET_NAME} giveaway")
    mission = make_mission(giveaway, Mission.Kind.PROOF_URL, title=f"{SECRET_NAME} mission")
    rules = RulesVersion.objects.create(giveaway=giveaway, number=1, text="Rules", created_at=NOW)
    round = Round.objects.create(giveaway=giveaway, number=1, opens_at=NOW, closes_at=NOW + DAY,
                                 status=Round.Status.DRAWN, seed="a" * 64, commitment="b" * 64, rules_version=rules)
    email = f"{SECRET_SLUG}@example.org"  # so a page or file that shows the person shows a secret too
    person = Participant.objects.create(identity=email, email=email, created_at=NOW)
    entry = Entry.objects.create(round=round, mission=mission, participant=person, account=main_account, weight=1,
                                 answer=f"https://x.com/{SECRET_SLUG}", status=Entry.Status.AWAITING_REVIEW,
                                 created_at=NOW)
    flag = Flag.objects.create(entry=entry, rule=Flag.Rule.CLUSTER, reason=f"{SECRET_NAME} cluster", created_at=NOW)
    draw = Draw.objects.create(round=round, algorithm="chorus-draw-1", seed="a" * 64, commitment="b" * 64,
                               digest="c" * 64, winners=1, alternates=0, result=["erin"], drawn_at=NOW, drawn_by=alice)
    winner = Winner.objects.create(draw=draw, place=1, participant=person, pseudonym="erin",
                                   status=Winner.Status.NOTIFIED)
    return {Giveaway: giveaway, Mission: mission, Round: round, Participant: person, Entry: entry, Flag: flag,
            Draw: draw, Winner: winner}


def named_patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from named_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name, prefix + str(pattern.pattern)


def every_admin_url(things):
    """(name, url) for every named admin URL, its parameters filled with alice's objects."""
    for model, model_admin in admin.site._registry.items():
        obj = things.get(model)
        for name, route in named_patterns(model_admin.get_urls()):
            parameters = re.findall(r"<(?:\w+:)?(\w+)>", route)
            kwargs = {}
            for parameter in parameters:
                if parameter == "object_id":
                    kwargs[parameter] = obj.pk if obj is not None else 1
                elif parameter == "link_id":
                    kwargs[parameter] = things[TrackingLink].pk
                elif parameter == "kind":
                    kwargs[parameter] = "svg"
                else:
                    kwargs[parameter] = 1
            yield name, reverse(f"admin:{name}", kwargs=kwargs)
    for name, route in named_patterns(admin.site.get_urls()):
        if name == "view_on_site":
            for model, obj in things.items():
                content_type = ContentType.objects.get_for_model(model)
                yield name, reverse("admin:view_on_site", args=[content_type.pk, obj.pk])
        elif name == "app_list":
            for app_label in ("accounts", "campaigns", "promotions", "attribution"):
                yield name, reverse("admin:app_list", args=[app_label])
        elif "<" not in route and name not in {"logout"}:
            yield name, reverse(f"admin:{name}")


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_no_admin_url_shows_alices_campaign_to_others(client, alices_things, who, request):
    client.force_login(request.getfixturevalue(who))
    code = alices_things[TrackingLink].code
    checked = 0
    for name, url in every_admin_url(alices_things):
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404, 405), f"{name} {url}: {response.status_code}"
        body = b"".join(response) if response.streaming else response.content
        location = response.get("Location", "")
        for secret in (SECRET_NAME, SECRET_SLUG, code):
            assert secret not in location, f"{name} {url} redirects to {location}"
            assert secret.encode() not in body, f"{name} {url} shows {secret!r} to {who}"
        checked += 1
    assert checked > 30  # the walk found the admin's pages, not an empty list


def test_view_on_site_sends_alice_to_the_public_address(client, alice, alices_things, settings):
    settings.PUBLIC_BASE_URL = "https://chorus.example.com"
    client.force_login(alice)
    content_type = ContentType.objects.get_for_model(Campaign)
    response = client.get(reverse("admin:view_on_site", args=[content_type.pk, alices_things[Campaign].pk]))
    assert response.status_code == 302
    assert response["Location"] == f"https://chorus.example.com/c/{SECRET_SLUG}/"


def test_view_on_site_is_a_404_for_others_and_for_nonsense(client, bob, alices_things):
    client.force_login(bob)
    content_type = ContentType.objects.get_for_model(Campaign)
    for object_id in (alices_things[Campaign].pk, "nonsense", 10**9):
        response = client.get(reverse("admin:view_on_site", args=[content_type.pk, object_id]))
        assert response.status_code == 404


def test_no_admin_url_shows_a_persons_data_to_a_co_running_team(client, alices_things, bob, deals_account):
    """bob's account co-runs alice's campaign: he may look at its giveaway pages, never at the people's data."""
    from promotions.models import GroupMember, Participant, ReferralGroup, Winner

    alices_things[Campaign].co_accounts.add(deals_account)
    Winner.objects.filter(pk=alices_things[Winner].pk).update(full_name="Erin Secret-Winner",
                                                              shipping_address="7 Hidden Lane", phone="+82 10 7777")
    private = [alices_things[Participant].email, "Erin Secret-Winner", "7 Hidden Lane", "+82 10 7777",
               alices_things[ReferralGroup].founder.email, alices_things[GroupMember].participant.email]
    client.force_login(bob)
    seen = 0
    for name, url in every_admin_url(alices_things):
        response = client.get(url)
        body = b"".join(response) if response.streaming else response.content
        for secret in private:
            assert secret.encode() not in body, f"{name} {url} shows {secret!r} to a co-running team"
        seen += response.status_code == 200 and SECRET_NAME.encode() in body
    assert seen > 5  # the walk did reach alice's giveaway pages as a viewer
