"""Tracking links on the campaign page: one row per place a link is posted, with a copy button and QR codes."""

import io

import segno
from django.contrib import admin
from django.db import models
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.scoping import AccountScopedInline, account_ids_with, is_superuser
from campaigns.forms import TrackingLinkForm, TrackingLinkFormSet
from campaigns.models import TrackingLink
from campaigns.running import running_account_ids
from common.addresses import absolute_url

PARENT_ATTRIBUTE = "_chorus_campaign_being_edited"
QR_FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


class TrackingLinkInline(AccountScopedInline, admin.TabularInline):
    model = TrackingLink
    form = TrackingLinkForm
    formset = TrackingLinkFormSet
    account_path = "owner_account"
    co_account_path = "co_accounts"
    fields = ["account", "platform", "channel", "label", "destination_url", "active", "share_url"]
    readonly_fields = ["share_url"]
    extra = 0
    template = "admin/campaigns/campaign/tabular_links.html"
    view_on_site = False  # the row's own address is in "Link to post"; a second link per row costs width

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        # No add/change/view icons beside the account menu: accounts are managed on their own page.
        if db_field.name == "account":
            for flag in ("can_add_related", "can_change_related", "can_delete_related", "can_view_related"):
                setattr(formfield.widget, flag, False)
        return formfield

    def get_formset(self, request, obj=None, **kwargs):
        # The account menu depends on the campaign (its running accounts); the admin instance is shared
        # between requests, so the campaign travels on the request.
        setattr(request, PARENT_ATTRIBUTE, obj)
        formset = super().get_formset(request, obj, **kwargs)  # a new class per call: safe to set on
        formset.editable_account_ids = None if is_superuser(request) else set(
            account_ids_with(request, self.edit_roles))
        return formset

    def scope_related_queryset(self, db_field, request, queryset):
        """The account menu: active accounts running this campaign that the user may edit.

        A link credits its account with every touch (and later sale) it brings, so only someone with an
        edit role in that account may make or change one for it, even on a campaign they own. Accounts of
        the campaign's existing links stay in the menu so those rows show who they belong to; the formset
        refuses any change to a row of an account the user may not edit.
        """
        if db_field.name != "account":
            return super().scope_related_queryset(db_field, request, queryset)
        campaign = getattr(request, PARENT_ATTRIBUTE, None)
        on_existing_links = set()
        offered = models.Q(active=True)
        if campaign is not None and campaign.pk is not None:
            # Rows already saved always show their account, even one that has stopped running the campaign
            # or was switched off: the formset keeps those rows unchanged, and the page stays savable.
            on_existing_links = set(campaign.links.values_list("account_id", flat=True))
            offered = models.Q(active=True, pk__in=running_account_ids(campaign)) | models.Q(pk__in=on_existing_links)
        queryset = queryset.filter(offered)
        if is_superuser(request):
            return queryset
        return queryset.filter(pk__in=set(account_ids_with(request, self.edit_roles)) | on_existing_links)

    @admin.display(description="Link to post")
    def share_url(self, link):
        if not link.pk:
            return "Save to get the link."
        url = absolute_url(link.get_absolute_url())
        qr = reverse("admin:campaigns_campaign_link_qr", args=[link.campaign_id, link.pk, "svg"])
        qr_png = reverse("admin:campaigns_campaign_link_qr", args=[link.campaign_id, link.pk, "png"])
        return format_html(
            '<span class="share-link"><input type="text" readonly value="{}" size="22" id="share-{}" '
            'aria-label="Tracking link for {} {}"> '
            '<button type="button" class="button copy-link" data-copy="share-{}" hidden>Copy</button></span>'
            '<span class="qr-links">QR code: <a href="{}" download="qr-{}.svg">SVG</a> · '
            '<a href="{}" download="qr-{}.png">PNG</a></span>',
            url, link.pk, link.get_platform_display(), link.label or link.get_channel_display(), link.pk,
            qr, link.code, qr_png, link.code,
        )


def qr_code(*, url, kind):
    """The QR code of `url` as SVG or PNG bytes: quiet zone included, error correction M (survives print wear)."""
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    if kind == "svg":
        code.save(buffer, kind="svg", scale=8, border=4, xmldecl=False, title=url)
    else:
        code.save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def link_qr_view(model_admin, request, object_id, link_id, kind):
    """`…/campaign/<id>/links/<link id>/qr.<svg|png>`: for anyone who may view the campaign."""
    if kind not in QR_FORMATS:
        raise Http404("Ask for qr.svg or qr.png.")
    campaign = model_admin.get_object(request, object_id)
    if campaign is None or not model_admin.has_view_permission(request, campaign):
        raise Http404("No such campaign.")
    link = TrackingLink.objects.filter(campaign=campaign, pk=link_id).first()
    if link is None:
        raise Http404("No such link on this campaign.")
    response = HttpResponse(qr_code(url=absolute_url(link.get_absolute_url()), kind=kind),
                            content_type=QR_FORMATS[kind])
    response["Content-Disposition"] = f'attachment; filename="qr-{link.code}.{kind}"'
    return response
