"""The rows of a credits export: one query, streamed, in a stable order; its count and totals by aggregates.

One row per credit of the chosen model of each sale of the chosen accounts in the period; a sale with no
credit in that model is one row with empty credit columns and credited net 0. With campaigns chosen, only
credits of those campaigns (and so only sales with such credit). Sale-level columns (amounts, status,
discount given, rebate owed) repeat on each credit row of the sale. Rows are ordered by the sale's time,
the sale id, the touch's time and the touch id, so the same data always gives the same file.

Two ways to write the same rows: `credit_lines()` (Python, the ORM's iterator: SQLite and XLSX) and
`copy_sql()` (the same query wrapped in COPY … TO STDOUT WITH CSV: PostgreSQL writes the CSV, formula
cells neutralised in SQL). Both give identical bytes (tests/attribution/test_exports_files.py).
"""

from collections import namedtuple
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, FilteredRelation, OuterRef, Q, Subquery, Sum

from attribution.exports import columns
from attribution.models import Credit, Model, Sale
from promotions.models import GroupMember

ITERATOR_CHUNK = 2000
# Orders by Record's fields.
STABLE_ORDER = ("occurred_at", "sale_id", "touch_at", "touch_id")
BY_SALE_AND_TOUCH = ("sale_id", "touch_id")

# The query's output columns, in order: the sale's facts, then the credit's, then the order's referral figures.
Record = namedtuple("Record", [
    "sale_id", "source", "order_id", "occurred_at", "currency", "gross", "refunded", "campaign_id", "campaign",
    "account_id", "account", "touch_kind", "touch_id", "touch_at", "reference", "referral_group", "generation",
    "share", "credited_net", "discount", "rebate"])
SALE_FIELDS = {"sale_id": "id", "source": "source__key", "order_id": "order_id", "occurred_at": "occurred_at",
               "currency": "currency", "gross": "gross", "refunded": "refunded"}
CREDIT_FIELDS = {"campaign_id": "campaign_id", "campaign": "campaign__name", "account_id": "account_id",
                 "account": "account__name", "touch_kind": "touch_kind", "touch_id": "touch_id",
                 "touch_at": "touch_at", "reference": "reference", "referral_group": "referral_group_id",
                 "generation": "generation", "share": "share", "credited_net": "credited_net"}
ALIAS = "x_"


def period_sales(parameters):
    return Sale.objects.filter(account_id__in=parameters.accounts, occurred_at__gte=parameters.starts_at,
                               occurred_at__lt=parameters.ends_at)


def credit_condition(parameters, prefix="credits__"):
    condition = Q(**{f"{prefix}model": parameters.model})
    if parameters.campaigns:
        condition &= Q(**{f"{prefix}campaign_id__in": parameters.campaigns})
    return condition


def member_sum(expression, sale=""):
    """A sum over the referral-group members of the outer row's order (GroupMember.source is the source's key)."""
    money = DecimalField(max_digits=12, decimal_places=2)
    members = (GroupMember.objects.filter(source=OuterRef(f"{sale}source__key"),
                                          order_reference=OuterRef(f"{sale}order_id"),
                                          currency=OuterRef(f"{sale}currency"))
               .order_by().values("order_reference"))
    return Subquery(members.annotate(total=Sum(expression, output_field=money)).values("total"), output_field=money)


def credit_queryset(parameters, order=STABLE_ORDER):
    """The rows as a values_list of Record's fields (aliased x_<name>), in `order` (none: unordered)."""
    return (annotated_rows(parameters).order_by(*(ALIAS + name for name in order))
            .values_list(*(ALIAS + name for name in Record._fields)))


def annotated_rows(parameters):
    """One object per row, each Record field annotated as x_<name>.

    Without campaigns: the sales, LEFT JOIN their credit of the model (a sale without is one row of NULLs).
    With campaigns: the credit of the model and those campaigns, joined to its sale (no credit, no row).
    """
    if parameters.campaigns:
        queryset = Credit.objects.filter(credit_condition(parameters, prefix=""), sale__in=period_sales(parameters))
        fields = {**{name: f"sale__{path}" for name, path in SALE_FIELDS.items()}, **CREDIT_FIELDS}
        sale = "sale__"
    else:
        queryset = period_sales(parameters).annotate(c=FilteredRelation("credits",
                                                                        condition=credit_condition(parameters)))
        fields = {**SALE_FIELDS, **{name: f"c__{path}" for name, path in CREDIT_FIELDS.items()}}
        sale = ""
    return queryset.annotate(
        **{ALIAS + name: F(path) for name, path in fields.items()},
        **{ALIAS + "discount": member_sum(F("list_price") - F("paid"), sale),
           ALIAS + "rebate": member_sum("rebate_owed", sale)})


def credit_records(parameters, order=STABLE_ORDER):
    """Record per row, streamed (a server-side cursor on PostgreSQL)."""
    for values in credit_queryset(parameters, order).iterator(chunk_size=ITERATOR_CHUNK):
        yield Record(*values)


def status_of(gross, refunded):
    if refunded <= 0:
        return "paid"
    return "refunded" if refunded >= gross else "partially_refunded"


def credit_cells(record, model):
    """One row of CREDIT_COLUMNS from a Record: text neutralised, amounts to the minor unit."""
    currency = record.currency
    return [
        columns.integer(record.sale_id), columns.text(record.source), columns.text(record.order_id),
        columns.utc(record.occurred_at), columns.amount(record.gross, currency),
        columns.amount(record.refunded, currency), columns.amount(record.gross - record.refunded, currency),
        columns.text(currency), columns.text(status_of(record.gross, record.refunded)),
        columns.integer(record.campaign_id), columns.text(record.campaign), columns.integer(record.account_id),
        columns.text(record.account), columns.text(record.touch_kind), columns.integer(record.touch_id),
        columns.utc(record.touch_at), columns.text(record.reference), columns.integer(record.referral_group),
        columns.integer(record.generation), columns.text(model), columns.share(record.share),
        columns.amount(record.credited_net or Decimal(0), currency), columns.amount(record.discount, currency),
        columns.amount(record.rebate, currency),
    ]


def credit_lines(parameters):
    for record in credit_records(parameters):
        yield credit_cells(record, parameters.model)


# --- the same rows written by PostgreSQL -----------------------------------------------------------


def copy_sql(parameters, connection):
    """(sql, params) of COPY (SELECT <the columns, formatted as credit_cells() does>) TO STDOUT WITH CSV."""
    inner, params = credit_queryset(parameters, order=()).query.get_compiler(connection=connection).as_sql()

    def q(name):
        return f"q.{ALIAS}{name}"

    if parameters.model not in Model.values:
        raise ValueError(f"Unknown attribution model {parameters.model!r}.")
    model = f"'{parameters.model}'"  # one of Model's values: a literal, checked above
    currency, places = q("currency"), "q.places"
    cells = [
        q("sale_id"), columns.sql_text(q("source")), columns.sql_text(q("order_id")), columns.sql_utc(q("occurred_at")),
        columns.sql_amount(q("gross"), places), columns.sql_amount(q("refunded"), places),
        columns.sql_amount(f"({q('gross')} - {q('refunded')})", places), columns.sql_text(currency),
        f"CASE WHEN {q('refunded')} <= 0 THEN 'paid' WHEN {q('refunded')} >= {q('gross')} THEN 'refunded' "
        "ELSE 'partially_refunded' END",
        q("campaign_id"), columns.sql_text(q("campaign")), q("account_id"), columns.sql_text(q("account")),
        columns.sql_text(q("touch_kind")), q("touch_id"), columns.sql_utc(q("touch_at")),
        columns.sql_text(q("reference")), q("referral_group"), q("generation"),
        columns.sql_text(model), f"{q('share')}::text",
        columns.sql_amount(f"COALESCE({q('credited_net')}, 0)", places),
        columns.sql_amount(q("discount"), places), columns.sql_amount(q("rebate"), places),
    ]
    order = ", ".join(q(name) for name in ("occurred_at", "sale_id", "touch_at", "touch_id"))
    # The currency's minor unit once per row (a CASE over the codes), not once per amount.
    places_of = columns.sql_places(f"inner_rows.{ALIAS}currency")
    with_places = f"SELECT inner_rows.*, {places_of} AS places FROM ({inner}) AS inner_rows"  # noqa: S608
    sql = (f"COPY (SELECT {', '.join(cells)} FROM ({with_places}) AS q ORDER BY {order}) "  # noqa: S608
           "TO STDOUT WITH (FORMAT csv)")
    return sql, params


# --- totals: aggregates, never Python sums of rows ----------------------------------------------------


def credit_totals(parameters):
    """{currency: {"sales", "sales_net", "attributed_sales", "attributed_net", "credited_net", "rows"}}.

    `sales_net` is the net of every sale in the export; `attributed_net` of those with credit in the
    model; `credited_net` the sum of the rows' credited net; `rows` the rows of the file, so the export's
    expected row count comes from here too. Without campaigns chosen, credited_net equals attributed_net
    to the minor unit (shares are split by largest remainder). Two aggregate queries.
    """
    sales = period_sales(parameters)
    credited = Credit.objects.filter(credit_condition(parameters, prefix=""), sale=OuterRef("pk"))
    if parameters.campaigns:
        sales = sales.filter(Exists(credited))
    # Grouped by (currency, has credit): the EXISTS is evaluated once per sale.
    per_sale = (sales.annotate(has_credit=Exists(credited)).order_by().values("currency", "has_credit")
                .annotate(sales=Count("pk"), gross_sum=Sum("gross"), refunded_sum=Sum("refunded")))
    credits = Credit.objects.filter(credit_condition(parameters, prefix=""), sale__in=period_sales(parameters))
    per_credit = {row["sale__currency"]: row for row in credits.order_by().values("sale__currency").annotate(
        credited=Sum("credited_net"), rows=Count("pk"))}
    figures = {}
    for row in per_sale:
        sums = figures.setdefault(row["currency"], {"sales": 0, "net": Decimal(0), "attributed": 0,
                                                    "attributed_net": Decimal(0)})
        net = row["gross_sum"] - row["refunded_sum"]
        sums["sales"] += row["sales"]
        sums["net"] += net
        if row["has_credit"]:
            sums["attributed"] += row["sales"]
            sums["attributed_net"] += net
    totals = {}
    for currency, sums in sorted(figures.items()):
        credit = per_credit.get(currency, {"credited": Decimal(0), "rows": 0})
        uncredited_rows = 0 if parameters.campaigns else sums["sales"] - sums["attributed"]
        totals[currency] = {
            "sales": sums["sales"], "sales_net": columns.amount(sums["net"], currency),
            "attributed_sales": sums["attributed"], "attributed_net": columns.amount(sums["attributed_net"], currency),
            "credited_net": columns.amount(credit["credited"], currency), "rows": credit["rows"] + uncredited_rows,
        }
    return totals

