"""The work bench/referrals.py measures, run inside Django (`manage.py shell`) against the bench's PostgreSQL.

- seed_offer(): a live campaign, an offer run by its owner, `groups` groups (hold 0: every join counts);
- joins(): purchases per second through referrals.record_purchase() from `threads` threads, into one hot
  group or spread over all groups, against the baseline transaction (INSERT one row, UPDATE one counter);
- seed_settlement() / settle_ours() / settle_sql(): an ended offer whose groups each hold `members` purchases
  still in their hold (the settlement-date rule), settled by referrals.settle_offer() or by hand-written SQL.
"""

import datetime
import itertools
import random
import threading
import time
import uuid
from decimal import Decimal

from django.db import connection, connections, transaction
from django.utils import timezone

from accounts.models import BrandAccount
from campaigns.models import Campaign
from promotions import referrals, tiers
from promotions.models import (
    GroupMember,
    LedgerEntry,
    Participant,
    ReferralGroup,
    ReferralItem,
    ReferralOffer,
    ReferralTier,
)

TIERS = [(2, "5"), (5, "10"), (10, "15"), (20, "20")]
PRICE = Decimal("200.00")


def make_offer(slug, *, starts_at, ends_at, hold_days=0, hold_rule=ReferralOffer.HoldRule.AFTER_PURCHASE):
    account, _ = BrandAccount.objects.get_or_create(slug="bench-referrals", defaults={"name": "Bench Deals"})
    campaign, _ = Campaign.objects.get_or_create(slug="bench-referrals", defaults={
        "owner_account": account, "name": "Bench referrals", "status": Campaign.Status.LIVE,
        "starts_at": timezone.now() - datetime.timedelta(days=400),
        "ends_at": timezone.now() + datetime.timedelta(days=30)})
    offer = ReferralOffer.objects.create(campaign=campaign, account=account, slug=slug, title=slug, currency="USD",
                                         max_discount_percent="50", budget="1000000000.00", starts_at=starts_at,
                                         ends_at=ends_at, hold_days=hold_days, hold_rule=hold_rule)
    ReferralItem.objects.create(offer=offer, name="Seoul → Jeju", sku="JEJU", base_price=PRICE)
    for size, percent in TIERS:
        ReferralTier.objects.create(offer=offer, min_members=size, discount_percent=percent)
    offer.refresh_from_db()
    return offer


def founders(count, prefix):
    now = timezone.now()
    Participant.objects.bulk_create([Participant(identity=f"{prefix}-{n}@bench.example",
                                                 email=f"{prefix}-{n}@bench.example", created_at=now)
                                     for n in range(count)], batch_size=5000)
    return list(Participant.objects.filter(identity__startswith=f"{prefix}-").order_by("pk"))


def seed_offer(*, groups):
    now = timezone.now()
    offer = make_offer(f"joins-{uuid.uuid4().hex[:6]}", starts_at=now - datetime.timedelta(days=1),
                       ends_at=now + datetime.timedelta(days=20))
    item = offer.items.get()
    people = founders(groups, f"founder-{offer.pk}")
    ReferralGroup.objects.bulk_create([ReferralGroup(offer=offer, item=item, founder=person, created_at=now)
                                       for person in people], batch_size=5000)
    from bench.benchsite.models import BareCounter

    BareCounter.objects.bulk_create([BareCounter() for _ in range(groups)], batch_size=5000)
    return offer


def joins(*, offer_slug, hot, threads, seconds, ours):
    """Purchases per second over `seconds` from `threads` threads (ours, or the baseline transaction)."""
    from bench.benchsite.models import BareCounter, BareJoin

    codes = list(ReferralGroup.objects.filter(offer__slug=offer_slug).order_by("pk").values_list("code", flat=True))
    counters = list(BareCounter.objects.order_by("pk").values_list("pk", flat=True))[:len(codes)]
    numbers = itertools.count()
    lock = threading.Lock()
    done = [0] * threads
    table = tiers.as_tiers([(size, Decimal(percent)) for size, percent in TIERS])
    seeded = dict(enumerate(ReferralGroup.objects.filter(offer__slug=offer_slug).order_by("pk")
                            .values_list("confirmed_count", flat=True)))
    joined = {}
    stop = time.monotonic() + seconds
    run = uuid.uuid4().hex[:8]

    def work(index):
        chooser = random.Random(index)
        try:
            while time.monotonic() < stop:
                with lock:
                    number = next(numbers)
                pick = 0 if hot else chooser.randrange(len(codes))
                if ours:
                    # The shop charges the group's price at booking, known here from the joins made so far.
                    with lock:
                        joined[pick] = joined.get(pick, 0) + 1
                        price = tiers.price_at(PRICE, tiers.discount_for(table, joined[pick] - 1 + seeded[pick],
                                                                         max_discount=Decimal(50)))
                    outcome = referrals.record_purchase(
                        order_reference=f"{run}-{number}", amount=str(price), currency="USD",
                        email=f"buyer-{run}-{number}@bench.example", referral_code=codes[pick], at=timezone.now())
                    assert outcome.created, outcome.message
                else:
                    with transaction.atomic():
                        BareJoin.objects.create(counter_id=counters[pick], order_reference=f"{run}-{number}",
                                                amount=Decimal("200.00"), occurred_at=timezone.now())
                        with connection.cursor() as cursor:
                            cursor.execute("UPDATE benchsite_barecounter SET count = count + 1 WHERE id = %s",
                                           [counters[pick]])
                done[index] += 1
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / seconds


def statements_per_join(offer_slug):
    from django.test.utils import CaptureQueriesContext

    code = ReferralGroup.objects.filter(offer__slug=offer_slug).order_by("pk").values_list("code", flat=True)[1]
    referrals.record_purchase(order_reference=f"count-warm-{uuid.uuid4().hex}", amount="200.00", currency="USD",
                              email=f"warm-{uuid.uuid4().hex}@bench.example", referral_code=code, at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        referrals.record_purchase(order_reference=f"count-{uuid.uuid4().hex}", amount="200.00", currency="USD",
                                  email=f"count-{uuid.uuid4().hex}@bench.example", referral_code=code,
                                  at=timezone.now())
    return [query["sql"][:60] for query in queries.captured_queries]


# --- settlement ---


def seed_settlement(*, groups, members):
    """An ended offer (settlement-date rule: every purchase still in its hold), as record_purchase leaves it."""
    now = timezone.now()
    offer = make_offer(f"settle-{uuid.uuid4().hex[:6]}", starts_at=now - datetime.timedelta(days=60),
                       ends_at=now - datetime.timedelta(days=10), hold_days=3,
                       hold_rule=ReferralOffer.HoldRule.AT_SETTLEMENT)
    item = offer.items.get()
    people = founders(groups + groups * members, f"p-{offer.pk}")
    ReferralGroup.objects.bulk_create([ReferralGroup(offer=offer, item=item, founder=people[n],
                                                     created_at=offer.starts_at) for n in range(groups)],
                                      batch_size=5000)
    group_rows = list(ReferralGroup.objects.filter(offer=offer).order_by("pk"))
    bought = offer.starts_at + datetime.timedelta(days=1)
    batch = []
    buyers = iter(people[groups:])
    for group in group_rows:
        for number in range(members):
            batch.append(GroupMember(
                offer=offer, group=group, participant=next(buyers), generation=1,
                share_code=f"{group.code}{number:06d}", source="bench", order_reference=f"{group.pk}-{number}",
                list_price=PRICE, paid=PRICE, currency="USD", status=GroupMember.Status.PENDING,
                bought_at=bought, hold_until=offer.settles_at))
    GroupMember.objects.bulk_create(batch, batch_size=5000)
    ReferralGroup.objects.filter(offer=offer).update(member_count=members)
    ledger = []
    for member in GroupMember.objects.filter(offer=offer).only("pk", "group_id").iterator(chunk_size=10000):
        for kind, amount in ((LedgerEntry.Kind.PAYMENT, PRICE), (LedgerEntry.Kind.DISCOUNT, Decimal("0.00"))):
            ledger.append(LedgerEntry(offer_id=offer.pk, group_id=member.group_id, member_id=member.pk, kind=kind,
                                      amount=amount, currency="USD", tier_percent=0, note="bench", at=bought))
        if len(ledger) >= 20000:
            LedgerEntry.objects.bulk_create(ledger)
            ledger = []
    LedgerEntry.objects.bulk_create(ledger)
    sample = group_rows[: min(5, len(group_rows))]
    assert all(referrals.recount_group(group) == {} for group in sample), "the seed is not what joins leave"
    return offer.slug


def settle_ours(slug):
    offer = ReferralOffer.objects.get(slug=slug)
    started = time.perf_counter()
    referrals.settle_offer(offer=offer, at=offer.settles_at)
    elapsed = time.perf_counter() - started
    assert not offer.groups.filter(settled_at__isnull=True).exists()
    return elapsed


# Two statements: PostgreSQL applies only one change per row within one statement, and both the confirmation and
# the rebate touch every member.
CONFIRM_SQL = """
UPDATE promotions_groupmember SET status = 'confirmed', confirmed_at = %(at)s
WHERE offer_id = %(offer)s AND status = 'pending' AND hold_until <= %(at)s
"""

SETTLE_SQL = """
WITH counts AS (
    SELECT g.id AS group_id,
           COUNT(m.id) FILTER (WHERE m.status = 'confirmed' AND m.counts_toward_tier) AS confirmed
    FROM promotions_referralgroup g LEFT JOIN promotions_groupmember m ON m.group_id = g.id
    WHERE g.offer_id = %(offer)s AND g.settled_at IS NULL
    GROUP BY g.id
), final AS (
    SELECT counts.group_id, counts.confirmed,
           COALESCE((SELECT LEAST(t.discount_percent, o.max_discount_percent) FROM promotions_referraltier t
                     JOIN promotions_referraloffer o ON o.id = t.offer_id
                     WHERE t.offer_id = %(offer)s AND t.min_members <= counts.confirmed
                     ORDER BY t.min_members DESC LIMIT 1), 0) AS percent
    FROM counts
), changes AS (
    INSERT INTO promotions_tierchange (group_id, from_percent, to_percent, confirmed_count, cause, at)
    SELECT final.group_id, COALESCE(LAG(t.discount_percent) OVER (PARTITION BY final.group_id
                                                                   ORDER BY t.min_members), 0),
           t.discount_percent, final.confirmed, 'settlement', %(at)s
    FROM final JOIN promotions_referraltier t ON t.offer_id = %(offer)s AND t.min_members <= final.confirmed
    RETURNING id
), rebates AS (
    SELECT m.id AS member_id, m.group_id, final.percent,
           GREATEST(0, m.paid - m.refunded - ROUND(m.list_price * (100 - final.percent) / 100, 2)) - m.rebate_owed
               AS delta
    FROM promotions_groupmember m JOIN final ON final.group_id = m.group_id
    WHERE m.offer_id = %(offer)s AND m.status IN ('pending', 'confirmed')
), ledger AS (
    INSERT INTO promotions_ledgerentry (offer_id, group_id, member_id, kind, amount, currency, tier_percent, note, at)
    SELECT %(offer)s, group_id, member_id, 'rebate', delta, 'USD', percent, 'Settlement.', %(at)s
    FROM rebates WHERE delta <> 0
    RETURNING member_id, amount
), members AS (
    UPDATE promotions_groupmember m SET rebate_owed = m.rebate_owed + ledger.amount, notice_due = 'settled'
    FROM ledger WHERE m.id = ledger.member_id
    RETURNING m.id
)
UPDATE promotions_referralgroup g SET confirmed_count = final.confirmed, tier_percent = final.percent,
       settled_at = %(at)s
FROM final WHERE g.id = final.group_id
"""


def settle_sql(slug):
    offer = ReferralOffer.objects.get(slug=slug)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CONFIRM_SQL, {"offer": offer.pk, "at": offer.settles_at})
        cursor.execute(SETTLE_SQL, {"offer": offer.pk, "at": offer.settles_at})
        cursor.execute("UPDATE promotions_referraloffer SET liability = (SELECT COALESCE(SUM(amount), 0) FROM "
                       "promotions_ledgerentry WHERE offer_id = %s AND kind IN ('rebate', 'reversal')), "
                       "settled_at = %s WHERE id = %s", [offer.pk, offer.settles_at, offer.pk])
    elapsed = time.perf_counter() - started
    assert not offer.groups.filter(settled_at__isnull=True).exists()
    return elapsed


def same_result(ours_slug, sql_slug):
    """Both settlements gave every group the same tier and every member the same rebate."""
    def state(slug):
        groups = list(ReferralGroup.objects.filter(offer__slug=slug).order_by("pk")
                      .values_list("confirmed_count", "tier_percent"))
        owed = sorted(GroupMember.objects.filter(offer__slug=slug).values_list("rebate_owed", flat=True))
        return groups, owed
    return state(ours_slug) == state(sql_slug)


