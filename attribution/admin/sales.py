"""Sales, their credit, the inbox and refused deliveries: read-only pages for the account's finance people.

Facts are written only by attribution.ingest and attribution.crediting. Lists never count big tables
(no full result count) and filter on indexed columns.
"""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from attribution.admin.common import FinanceScopedAdmin
from attribution.models import Credit, InboxEvent, Model, RejectedDelivery, Sale
from campaigns.models import Touch

TOUCH_KINDS = dict(Touch.Kind.choices)


@admin.register(Sale)
class SaleAdmin(FinanceScopedAdmin):
    list_display = ["order_id", "source", "occurred_at", "gross", "refunded", "currency", "status", "credited"]
    list_filter = ["source", "currency"]
    search_fields = ["=order_id", "=email"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    list_select_related = ["source"]
    fields = ["source", "order_id", "event_id", "occurred_at", "currency", "gross", "refunded", "status",
              "email", "visitor_id", "referral_code", "coupon_code", "payment_fingerprint", "lines_table",
              "recorded_at", "credited_at", "promotions_told_at", "credit_table", "refund_table"]
    readonly_fields = fields

    @admin.display(boolean=True)
    def credited(self, sale):
        return sale.credited_at is not None

    @admin.display(description="lines")
    def lines_table(self, sale):
        if not sale.lines:
            return "—"
        return format_html_join(", ", "{} × {} ({})", ((line.get("sku"), line.get("quantity"), line.get("amount"))
                                                       for line in sale.lines))

    @admin.display(description="credit")
    def credit_table(self, sale):
        rows = [(dict(Model.choices).get(credit.model, credit.model), credit.campaign.name, credit.account.name,
                 TOUCH_KINDS.get(credit.touch_kind, credit.touch_kind),
                 credit.reference or "—", "—" if credit.generation is None else credit.generation,
                 f"{credit.share:.4f}", credit.credited_net)
                for credit in sale.credits.select_related("campaign", "account").order_by("model", "touch_at")]
        if not rows:
            return "No touches of this buyer within the lookback: the sale is credited to no campaign."
        return format_html(
            '<table><thead><tr><th scope="col">Model</th><th scope="col">Campaign</th><th scope="col">Account</th>'
            '<th scope="col">Touch</th><th scope="col">Promotion</th><th scope="col">Generation</th>'
            '<th scope="col">Share</th><th scope="col">Credited net</th></tr></thead><tbody>{}</tbody></table>',
            format_html_join("", "<tr>" + "<td>{}</td>" * 8 + "</tr>", rows))

    @admin.display(description="refunds")
    def refund_table(self, sale):
        refunds = sale.source.refunds.filter(order_id=sale.order_id).order_by("occurred_at")
        rows = [(refund.event_id, f"{refund.occurred_at:%Y-%m-%d %H:%M} UTC", refund.amount, refund.currency)
                for refund in refunds]
        if not rows:
            return "None."
        return format_html('<table><tbody>{}</tbody></table>',
                           format_html_join("", "<tr><td>{}</td><td>{}</td><td>{} {}</td></tr>", rows))


@admin.register(Credit)
class CreditAdmin(FinanceScopedAdmin):
    account_path = "sale__account"
    list_display = ["sale", "model", "campaign", "account", "touch_kind", "reference", "generation", "share",
                    "credited_net"]
    list_filter = ["model", "touch_kind"]
    list_select_related = ["sale__source", "campaign", "account"]
    show_full_result_count = False
    search_fields = ["=sale__order_id"]

    def get_list_filter(self, request):
        return ["model", "touch_kind", ("campaign", admin.RelatedOnlyFieldListFilter)]


@admin.register(InboxEvent)
class InboxEventAdmin(FinanceScopedAdmin):
    account_path = "source__account"
    list_display = ["event_id", "kind", "order_id", "source", "via", "received_at", "applied_at", "outcome"]
    list_filter = ["kind", "via", ("applied_at", admin.EmptyFieldListFilter)]
    search_fields = ["=event_id", "=order_id"]
    list_select_related = ["source"]
    show_full_result_count = False
    fields = ["source", "event_id", "kind", "order_id", "via", "received_at", "applied_at", "outcome", "facts"]
    readonly_fields = fields


@admin.register(RejectedDelivery)
class RejectedDeliveryAdmin(FinanceScopedAdmin):
    account_path = "source__account"
    list_display = ["received_at", "source", "status_code", "error", "event_id", "detail"]
    list_filter = ["error", "status_code"]
    list_select_related = ["source"]
    show_full_result_count = False
    fields = ["source", "received_at", "status_code", "error", "detail", "event_id", "body_excerpt"]
    readonly_fields = fields
