"""What the brand owes through its promotions: referral rebates and giveaway prizes, as finance exports.

Rebates: one row per member of a referral group of the accounts' offers (`ReferralOffer.account`) whose
rebate owed, read from the append-only ledger (rebates positive, reversals negative), was not zero at
the period's start or moved during it: owed at the start, rebates and reversals in the period, owed at
the end, and the member's `rebate_owed` now (the counter the ledger keeps in step).

Prizes: one row per place drawn in the period (`Draw.drawn_at`) in giveaways of campaigns the accounts
own: the prize's approximate retail value per winner (`Giveaway.prize_value`, as it is now) and the
liability — that value for a winner notified, claimed or verified, 0 for an alternate still waiting or
a forfeited place.

Totals per currency are aggregate queries, never sums of the rows in Python.
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from attribution.exports import columns, rows
from promotions.models import GroupMember, LedgerEntry, Winner

MONEY = DecimalField(max_digits=12, decimal_places=2)
REBATE_KINDS = (LedgerEntry.Kind.REBATE, LedgerEntry.Kind.REVERSAL)
LIABLE = (Winner.Status.NOTIFIED, Winner.Status.CLAIMED, Winner.Status.VERIFIED)


def zero():
    return Value(Decimal(0), output_field=MONEY)


# --- rebates ----------------------------------------------------------------------------------------


def rebate_queryset(parameters):
    starts, ends = parameters.starts_at, parameters.ends_at

    def ledger_sum(condition):
        return Coalesce(Sum("ledger__amount", filter=condition), zero(), output_field=MONEY)

    members = (GroupMember.objects
               # filter() before annotate(): the sums run over these ledger rows only (one join).
               .filter(offer__account_id__in=parameters.accounts, ledger__kind__in=REBATE_KINDS, ledger__at__lt=ends)
               .annotate(owed_start=ledger_sum(Q(ledger__at__lt=starts)),
                         rebates=ledger_sum(Q(ledger__kind=LedgerEntry.Kind.REBATE, ledger__at__gte=starts)),
                         reversals=ledger_sum(Q(ledger__kind=LedgerEntry.Kind.REVERSAL, ledger__at__gte=starts)))
               .filter(~Q(owed_start=0) | ~Q(rebates=0) | ~Q(reversals=0)))
    return members


def rebate_lines(parameters):
    values = rebate_queryset(parameters).order_by("offer_id", "group_id", "pk").values_list(
        "offer_id", "offer__title", "offer__account_id", "offer__account__name", "currency", "group_id", "pk",
        "generation", "source", "order_reference", "status", "bought_at", "list_price", "paid", "refunded",
        "owed_start", "rebates", "reversals", "rebate_owed")
    for (offer_id, title, account_id, account, currency, group_id, member_id, generation, source, order, status,
         bought_at, list_price, paid, refunded, owed_start, rebates, reversals, owed_now) in values.iterator(
            chunk_size=rows.ITERATOR_CHUNK):
        yield [
            columns.integer(offer_id), columns.text(title), columns.integer(account_id), columns.text(account),
            columns.text(currency), columns.integer(group_id), columns.integer(member_id), columns.integer(generation),
            columns.text(source), columns.text(order), columns.text(status), columns.utc(bought_at),
            columns.amount(list_price, currency), columns.amount(paid, currency), columns.amount(refunded, currency),
            columns.amount(list_price - paid, currency), columns.amount(owed_start, currency),
            columns.amount(rebates, currency), columns.amount(reversals, currency),
            columns.amount(owed_start + rebates + reversals, currency), columns.amount(owed_now, currency),
        ]


def rebate_count(parameters):
    return rebate_queryset(parameters).count()


def rebate_totals(parameters):
    """{currency: {"members", "rebate_owed_at_start", "rebates_in_period", "reversals_in_period",
    "rebate_owed_at_end"}}: the ledger summed once, and the listed members counted."""
    starts, ends = parameters.starts_at, parameters.ends_at

    def ledger_sum(condition):
        return Coalesce(Sum("amount", filter=condition), zero(), output_field=MONEY)

    money = (LedgerEntry.objects.filter(offer__account_id__in=parameters.accounts, kind__in=REBATE_KINDS, at__lt=ends)
             .order_by().values("currency")
             .annotate(start=ledger_sum(Q(at__lt=starts)),
                       rebates=ledger_sum(Q(kind=LedgerEntry.Kind.REBATE, at__gte=starts)),
                       reversals=ledger_sum(Q(kind=LedgerEntry.Kind.REVERSAL, at__gte=starts))))
    members = dict(GroupMember.objects.filter(pk__in=rebate_queryset(parameters).values("pk")).order_by()
                   .values("currency").annotate(count=Count("pk")).values_list("currency", "count"))
    totals = {}
    for row in money:
        currency = row["currency"]
        if not members.get(currency):
            continue
        totals[currency] = {
            "members": members[currency],
            "rebate_owed_at_start": columns.amount(row["start"], currency),
            "rebates_in_period": columns.amount(row["rebates"], currency),
            "reversals_in_period": columns.amount(row["reversals"], currency),
            "rebate_owed_at_end": columns.amount(row["start"] + row["rebates"] + row["reversals"], currency),
        }
    return dict(sorted(totals.items()))


# --- prizes ----------------------------------------------------------------------------------------


GIVEAWAY = "draw__round__giveaway"


def prize_queryset(parameters):
    return Winner.objects.filter(**{f"{GIVEAWAY}__campaign__owner_account_id__in": parameters.accounts},
                                 draw__drawn_at__gte=parameters.starts_at, draw__drawn_at__lt=parameters.ends_at)


def prize_lines(parameters):
    values = prize_queryset(parameters).order_by("draw__drawn_at", "draw_id", "place").values_list(
        f"{GIVEAWAY}_id", f"{GIVEAWAY}__title", f"{GIVEAWAY}__campaign_id", f"{GIVEAWAY}__campaign__name",
        f"{GIVEAWAY}__campaign__owner_account_id", f"{GIVEAWAY}__campaign__owner_account__name", "draw__round__number",
        "draw__round__closes_at", "draw__drawn_at", "place", "pseudonym", "status", f"{GIVEAWAY}__currency",
        f"{GIVEAWAY}__prize_value")
    for (giveaway_id, title, campaign_id, campaign, account_id, account, number, closed_at, drawn_at, place, pseudonym,
         status, currency, value) in values.iterator(chunk_size=rows.ITERATOR_CHUNK):
        yield [
            columns.integer(giveaway_id), columns.text(title), columns.integer(campaign_id), columns.text(campaign),
            columns.integer(account_id), columns.text(account), columns.integer(number), columns.utc(closed_at),
            columns.utc(drawn_at), columns.integer(place), columns.text(pseudonym), columns.text(status),
            columns.text(currency), columns.amount(value, currency),
            columns.amount(value if status in LIABLE else Decimal(0), currency),
        ]


def prize_count(parameters):
    return prize_queryset(parameters).count()


def prize_totals(parameters):
    """{currency: {"places", "winners", "liability"}}: one aggregate query."""
    liable = Q(status__in=LIABLE)
    per_currency = (prize_queryset(parameters).order_by().values(currency=F(f"{GIVEAWAY}__currency"))
                    .annotate(places=Count("pk"), winners=Count("pk", filter=liable),
                              liability=Coalesce(Sum(f"{GIVEAWAY}__prize_value", filter=liable), zero(),
                                                 output_field=MONEY)))
    return {row["currency"]: {"places": row["places"], "winners": row["winners"],
                              "liability": columns.amount(row["liability"], row["currency"])}
            for row in sorted(per_currency, key=lambda row: row["currency"])}
