"""Closed periods: closing one from a finished export, refusing overlaps, and the restatement export.

Finance closes a period of one account from a finished sales-and-credit export of exactly that account
and period (all campaigns). Closing freezes every row of the period under every model as `ClosedFigure`
rows (one INSERT … SELECT), after checking that the figures still equal the export's totals, so the
frozen figures are the closing file's. A closed period never changes: a credits export overlapping it is
refused, and what changed since (sales recorded later with a time in the period, refunds, credit moved
by a recompute) is listed by a restatement export: per model chosen, each row whose credited net or
refund differs from the frozen figure, with before, after and the difference.
"""

from collections import defaultdict, namedtuple
from datetime import timedelta
from decimal import Decimal
from itertools import groupby
from operator import attrgetter

from django.db import connection, transaction

from accounts.models import BrandAccount
from attribution.exports import columns, rows
from attribution.exports.access import ExportRefused, check_finance_role
from attribution.exports.parameters import Parameters
from attribution.models import ClosedFigure, ClosedPeriod, Credit, FinanceExport, Sale
from campaigns.models import Campaign
from campaigns.schedules import to_local

ZERO = Decimal(0)


def local_dates(period):
    """The first and last dates of a closed period in its zone (it ends at the local midnight after the last)."""
    first = to_local(period.starts_at, period.timezone).date()
    last = to_local(period.ends_at, period.timezone).date() - timedelta(days=1)
    return first, last


def describe(period):
    """"Alice Air, 2026-11-01 to 2026-11-30 (Asia/Seoul)": the dates as chosen, both included."""
    first, last = local_dates(period)
    return f"{period.account.name}, {first:%Y-%m-%d} to {last:%Y-%m-%d} ({period.timezone})"


def overlapping_closed_period(*, account_ids, starts_at, ends_at):
    """The earliest closed period of these accounts that shares an instant with [starts_at, ends_at), or None."""
    return (ClosedPeriod.objects.filter(account_id__in=list(account_ids), starts_at__lt=ends_at, ends_at__gt=starts_at)
            .select_related("account").order_by("starts_at", "pk").first())


def refuse_if_closed(parameters):
    """A credits export may not cover a closed period: its figures were issued; changes go in a restatement."""
    period = overlapping_closed_period(account_ids=parameters.accounts, starts_at=parameters.starts_at,
                                       ends_at=parameters.ends_at)
    if period is not None:
        raise ExportRefused(
            f"The period {describe(period)} is closed: its figures are those of export #{period.export_id}, which "
            "closed it, and whatever changed since goes in a restatement export of that period. Choose dates "
            "outside it, or request a restatement.", closed_period=period)


@transaction.atomic
def close_period(*, export, by, at):
    """Close the period of a finished credits export of one account; returns the ClosedPeriod.

    Under the account's row lock, so two people closing overlapping periods of one account at once
    cannot both succeed.
    """
    export = FinanceExport.objects.get(pk=export.pk)
    if export.kind != FinanceExport.Kind.CREDITS or export.status != FinanceExport.Status.DONE:
        raise ExportRefused("A period is closed from a finished sales-and-credit export of it: request one, wait "
                            "until it is ready, then close the period from its page.")
    parameters = Parameters.of(export)
    if len(parameters.accounts) != 1 or parameters.campaigns:
        raise ExportRefused("A period is closed for one account and all its campaigns: request an export of that "
                            "account alone, with no campaign chosen, and close the period from it.")
    check_finance_role(by, parameters.accounts)
    account = BrandAccount.objects.select_for_update().get(pk=parameters.accounts[0])
    overlap = overlapping_closed_period(account_ids=[account.pk], starts_at=parameters.starts_at,
                                        ends_at=parameters.ends_at)
    if overlap is not None:
        raise ExportRefused(f"The period {describe(overlap)} is closed already (from export #{overlap.export_id}) "
                            "and closed periods of an account never overlap: changes to it go in a restatement.",
                            closed_period=overlap)
    if rows.credit_totals(parameters) != export.totals:
        raise ExportRefused(f"The figures of the period changed since export #{export.pk} was written (a sale, a "
                            "refund or credit arrived): request a new export of the period and close it from that "
                            "one, so the closed figures are those of the file.")
    period = ClosedPeriod.objects.create(account=account, starts_at=parameters.starts_at, ends_at=parameters.ends_at,
                                         timezone=parameters.timezone, closed_by=by, closed_at=at, export=export)
    freeze_figures(period)
    return period


def freeze_figures(period):
    """Every credit row of the period's sales under every model, and a row per sale without credit: one statement."""
    quote = connection.ops.quote_name
    figures, sales, credits = (quote(model._meta.db_table) for model in (ClosedFigure, Sale, Credit))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {figures} (period_id, sale_id, model, touch_id, campaign_id, account_id, currency, "  # noqa: S608
            "gross, refunded, credited_net) "
            "SELECT %s, s.id, COALESCE(c.model, ''), c.touch_id, c.campaign_id, c.account_id, s.currency, s.gross, "
            "s.refunded, COALESCE(c.credited_net, 0) "
            f"FROM {sales} s LEFT JOIN {credits} c ON c.sale_id = s.id "
            "WHERE s.account_id = %s AND s.occurred_at >= %s AND s.occurred_at < %s",
            [period.pk, period.account_id, connection.ops.adapt_datetimefield_value(period.starts_at),
             connection.ops.adapt_datetimefield_value(period.ends_at)])


# --- the restatement ---------------------------------------------------------------------------------


def restatement_parameters(*, closed_period, model):
    """The parameters of a restatement of `closed_period` under `model`: its account, instants and zone."""
    first, last = local_dates(closed_period)
    return Parameters(starts_on=first, ends_on=last, timezone=closed_period.timezone,
                      starts_at=closed_period.starts_at, ends_at=closed_period.ends_at,
                      accounts=(closed_period.account_id,), campaigns=(), model=model,
                      closed_period=closed_period.pk)


def by_sale(current, frozen):
    """(sale id, current records, frozen figures) for every sale on either side; both sides ordered by sale id."""
    now, then = groupby(current, key=attrgetter("sale_id")), groupby(frozen, key=attrgetter("sale_id"))
    next_now, next_then = next(now, None), next(then, None)
    while next_now is not None or next_then is not None:
        now_key = next_now[0] if next_now is not None else None
        then_key = next_then[0] if next_then is not None else None
        if then_key is None or (now_key is not None and now_key < then_key):
            yield now_key, list(next_now[1]), []
            next_now = next(now, None)
        elif now_key is None or then_key < now_key:
            yield then_key, [], list(next_then[1])
            next_then = next(then, None)
        else:
            yield now_key, list(next_now[1]), list(next_then[1])
            next_now, next_then = next(now, None), next(then, None)


Figure = namedtuple("Figure", ["sale_id", "model", "touch_id", "campaign_id", "account_id", "currency", "gross",
                               "refunded", "credited_net"])


def frozen_figures(parameters):
    """Every closed figure of the period, by sale: all models, so a sale's presence at the close is known."""
    return (Figure(*values) for values in ClosedFigure.objects.filter(period_id=parameters.closed_period)
            .order_by("sale_id", "model", "touch_id").values_list(*Figure._fields)
            .iterator(chunk_size=rows.ITERATOR_CHUNK))


def sale_differences(sale_id, now, then, model, names):
    """(record, figure, change) for each row of one sale, under `model`, that differs from the closed figures.

    `then` holds the sale's figures of every model (empty: the sale was recorded after the close). A credit
    that is gone gets a record of the sale as it is now with that credit's campaign and account; a row
    without credit is compared only when the sale had none at the close either (else its credit rows say it).
    """
    existed = bool(then)
    then_by_touch = {figure.touch_id: figure for figure in then if figure.model in (model, "")}
    now_by_touch = {record.touch_id: record for record in now}
    if existed and None in now_by_touch and not then_by_touch:
        # No credit under this model, now or then (the sale had credit under other models only): its refund.
        then_by_touch[None] = then[0]._replace(model="", touch_id=None, campaign_id=None, account_id=None,
                                               credited_net=ZERO)
    reference = now[0] if now else None
    for touch_id in sorted(set(now_by_touch) | set(then_by_touch), key=lambda key: (key is not None, key or 0)):
        record, figure = now_by_touch.get(touch_id), then_by_touch.get(touch_id)
        if touch_id is None and (record is None or figure is None) and now and existed:
            continue  # the sale gained or lost all its credit: its credit rows say so
        if record is not None and figure is not None:
            if (record.credited_net or ZERO) == figure.credited_net and record.refunded == figure.refunded:
                continue
            change = "changed"
        elif record is not None:
            change = "added"
            if existed:  # a new credit of a sale that was there: its refund then is the sale's
                figure = then[0]._replace(credited_net=ZERO)
        else:
            change = "removed"
            record = removed_record(sale_id, reference, figure, names)
        yield record, figure, change


def removed_record(sale_id, reference, figure, names):
    """A Record for a credit that is gone: the sale as it is now, the credit's campaign and account as closed."""
    sale = reference._asdict() if reference is not None else {
        "sale_id": sale_id, "source": None, "order_id": None, "occurred_at": None, "currency": figure.currency,
        "gross": figure.gross, "refunded": figure.refunded, "discount": None, "rebate": None}
    return rows.Record(**dict.fromkeys(rows.Record._fields) | {
        name: sale[name] for name in ("sale_id", "source", "order_id", "occurred_at", "currency", "gross",
                                      "refunded", "discount", "rebate")} | {
        "campaign_id": figure.campaign_id, "campaign": names["campaigns"].get(figure.campaign_id),
        "account_id": figure.account_id, "account": names["accounts"].get(figure.account_id),
        "touch_id": figure.touch_id, "credited_net": ZERO})


def figure_names(parameters):
    """Names of the campaigns and accounts of the closed figures (two queries), for credits that are gone."""
    figures = ClosedFigure.objects.filter(period_id=parameters.closed_period)
    return {
        "campaigns": dict(Campaign.objects.filter(pk__in=figures.values("campaign_id")).values_list("pk", "name")),
        "accounts": dict(BrandAccount.objects.filter(pk__in=figures.values("account_id")).values_list("pk", "name")),
    }


def differences(parameters):
    current = rows.credit_records(parameters, order=rows.BY_SALE_AND_TOUCH)
    names = figure_names(parameters)
    for sale_id, now, then in by_sale(current, frozen_figures(parameters)):
        yield from sale_differences(sale_id, now, then, parameters.model, names)


class Restatement:
    """The restatement's rows, and its totals per currency gathered as they are written."""

    def __init__(self, parameters):
        self.parameters = parameters
        self.sums = defaultdict(lambda: {"rows": 0, "before": ZERO, "after": ZERO})

    def count(self):
        return sum(1 for _ in differences(self.parameters))

    def lines(self):
        for record, figure, change in differences(self.parameters):
            currency = record.currency
            before = figure.credited_net if figure is not None else ZERO
            after = record.credited_net or ZERO
            refunded_before = figure.refunded if figure is not None else ZERO
            sums = self.sums[currency]
            sums["rows"] += 1
            sums["before"] += before
            sums["after"] += after
            yield rows.credit_cells(record, self.parameters.model) + [
                columns.text(change), columns.amount(before, currency), columns.amount(after, currency),
                columns.amount(after - before, currency), columns.amount(refunded_before, currency),
                columns.amount(record.refunded, currency), columns.amount(record.refunded - refunded_before, currency)]

    def totals(self):
        return {currency: {"rows": sums["rows"], "credited_net_before": columns.amount(sums["before"], currency),
                           "credited_net_after": columns.amount(sums["after"], currency),
                           "credited_net_difference": columns.amount(sums["after"] - sums["before"], currency)}
                for currency, sums in sorted(self.sums.items())}
