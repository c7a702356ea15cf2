"""Finance exports in the admin: the list, the request page, the progress page with the download, "close period".

Only managers and finance people see any of it (FINANCE_ROLES), and an export only when they hold that role
in every one of its accounts: everyone else gets 403 on every page, and someone with the role elsewhere a
404 for an export they may not see, exactly like an id that does not exist. Nothing is editable: an export
is requested (attribution.exports.request_export), written by a worker, and never changes.

The progress page reloads itself every two seconds (static/js/refresh-while-working.js; a Refresh link
without it) while the worker writes, showing rows written of rows expected; then the download link, the
SHA-256, the totals per currency and the parameters. The download is a view, never a file URL: it checks
the role on every request and streams the file from EXPORTS_ROOT (outside MEDIA_ROOT) with its checksum in
a header.
"""

import base64
import datetime
import os

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.generic import RedirectView

from accounts.models import BrandAccount
from accounts.scoping import is_superuser
from attribution import exports
from attribution.admin.common import FinanceScopedAdmin
from attribution.exports import files, periods
from attribution.exports.access import ExportRefused, exports_visible_with
from attribution.exports.parameters import Parameters
from attribution.models import ClosedPeriod, FinanceExport, Model
from campaigns.admin.campaigns import person
from campaigns.models import Campaign

CONTENT_TYPES = {FinanceExport.Format.CSV: "text/csv; charset=utf-8",
                 FinanceExport.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
RUNNING = {FinanceExport.Status.QUEUED, FinanceExport.Status.RUNNING}


def utc_text(instant):
    return "—" if instant is None else f"{instant.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC"


def period_text(parameters):
    return f"{parameters.starts_on:%Y-%m-%d} to {parameters.ends_on:%Y-%m-%d} ({parameters.timezone})"


class RequestForm(forms.Form):
    """What finance chooses; the rules (roles, dates, zones, closed periods) are request_export()'s."""

    kind = forms.ChoiceField(label="Export", choices=FinanceExport.Kind.choices, initial=FinanceExport.Kind.CREDITS,
                             widget=forms.RadioSelect)
    accounts = forms.ModelMultipleChoiceField(
        queryset=BrandAccount.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The accounts whose sales (or offers, or giveaways) to export: those where you have the finance "
                  "role.")
    starts_on = forms.DateField(label="First day", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Last day", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text="Included: 1 to 30 November is the whole month.")
    timezone_name = forms.ChoiceField(label="Days in", help_text="Days start at midnight in this time zone.")
    campaigns = forms.ModelMultipleChoiceField(
        queryset=Campaign.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Sales and credit only: leave all unticked for every sale of the accounts (the totals then "
                  "reconcile to the sales); tick some for the credit of those campaigns only.")
    closed_period = forms.ModelChoiceField(
        queryset=ClosedPeriod.objects.none(), required=False, label="Closed period",
        help_text="Restatements only: what changed in this closed period since it was closed.")
    model = forms.ChoiceField(label="Attribution model", choices=Model.choices, initial=Model.LAST_TOUCH)
    file_format = forms.ChoiceField(label="Format", choices=FinanceExport.Format.choices,
                                    initial=FinanceExport.Format.CSV, widget=forms.RadioSelect)

    def __init__(self, *args, account_ids, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = BrandAccount.objects.order_by("name")
        if account_ids is not None:
            accounts = accounts.filter(pk__in=account_ids)
        self.fields["accounts"].queryset = accounts
        account_list = list(accounts)
        zones = sorted({account.timezone for account in account_list} - {"UTC"})
        self.fields["timezone_name"].choices = [("UTC", "UTC")] + [
            (zone, f"{zone} ({', '.join(a.name for a in account_list if a.timezone == zone)})") for zone in zones]
        campaigns = Campaign.objects.select_related("owner_account").order_by("owner_account__name", "name")
        periods_ = ClosedPeriod.objects.select_related("account").order_by("account__name", "-starts_at")
        if account_ids is not None:
            campaigns = campaigns.filter(pk__in=Campaign.objects.filter(
                Q(owner_account__in=account_ids) | Q(co_accounts__in=account_ids)).values("pk"))
            periods_ = periods_.filter(account__in=account_ids)
        self.fields["campaigns"].queryset = campaigns
        self.fields["campaigns"].label_from_instance = lambda campaign: f"{campaign.name} ({campaign.owner_account})"
        self.fields["closed_period"].queryset = periods_
        self.fields["closed_period"].label_from_instance = periods.describe

    def clean(self):
        data = super().clean()
        if data.get("kind") == FinanceExport.Kind.RESTATEMENT:
            if not data.get("closed_period"):
                self.add_error("closed_period", "Choose the closed period to restate.")
        else:
            if not data.get("accounts"):
                self.add_error("accounts", "Choose at least one account.")
            for name in ("starts_on", "ends_on"):
                if not data.get(name):
                    self.add_error(name, "Choose the day.")
        return data

    def request_arguments(self):
        data = self.cleaned_data
        if data["kind"] == FinanceExport.Kind.RESTATEMENT:
            return {"kind": data["kind"], "file_format": data["file_format"], "model": data["model"],
                    "closed_period": data["closed_period"]}
        return {name: data[name] for name in ("kind", "file_format", "model", "accounts", "starts_on", "ends_on",
                                              "timezone_name", "campaigns")}


@admin.register(FinanceExport)
class FinanceExportAdmin(FinanceScopedAdmin):
    list_display = ["__str__", "period", "account_names", "model_name", "file_format", "status", "progress",
                    "requested_by_name", "requested_at"]
    list_filter = ["kind", "status", "file_format"]
    list_select_related = ["requested_by"]
    change_list_template = "admin/attribution/export_change_list.html"
    actions = None
    show_full_result_count = False

    # --- who sees what --------------------------------------------------------------------------------

    def finance_ids_or_all(self, request):
        return None if is_superuser(request) else self.finance_account_ids(request)

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request).prefetch_related("accounts")
        return exports_visible_with(self.finance_ids_or_all(request), queryset)

    def may_view(self, request, obj=None):
        if obj is None:
            return super().may_view(request)
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request):
        return self.may_view(request)

    def visible_export(self, request, object_id):
        """The export if the user may see it: 403 for people without a finance role, 404 for other ids."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            raise Http404("No such export.") from None
        export = self.get_queryset(request).filter(pk=pk).first()
        if export is None:
            raise Http404("No such export among those you can see.")
        return export

    # --- the list -------------------------------------------------------------------------------------

    @admin.display(description="period")
    def period(self, export):
        return period_text(Parameters.of(export))

    @admin.display(description="accounts")
    def account_names(self, export):
        return ", ".join(sorted(account.name for account in export.accounts.all()))

    @admin.display(description="model")
    def model_name(self, export):
        if export.kind not in {FinanceExport.Kind.CREDITS, FinanceExport.Kind.RESTATEMENT}:
            return "—"
        return Model(export.parameters["model"]).label

    @admin.display(description="progress")
    def progress(self, export):
        return progress_text(export)

    @admin.display(description="requested by")
    def requested_by_name(self, export):
        return person(export.requested_by)

    # --- pages ----------------------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        prefix = "attribution_financeexport"
        return [
            path("", wrap(self.changelist_view), name=f"{prefix}_changelist"),
            path("add/", wrap(self.add_view), name=f"{prefix}_add"),
            path("<path:object_id>/change/", wrap(self.change_view), name=f"{prefix}_change"),
            path("<path:object_id>/download/", wrap(self.download_view), name=f"{prefix}_download"),
            path("<path:object_id>/close-period/", wrap(self.close_period_view), name=f"{prefix}_close_period"),
            path("<path:object_id>/", wrap(RedirectView.as_view(pattern_name=f"admin:{prefix}_change"))),
        ]

    def page_context(self, request, title):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title,
                "media": self.media}

    def add_view(self, request, form_url="", extra_context=None):
        """The request page: choose, then a worker writes the file and the progress page follows it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {name: request.GET[name] for name in ("kind", "closed_period", "model") if name in request.GET}
        form = RequestForm(request.POST or None, initial=initial, account_ids=self.finance_ids_or_all(request))
        refusal = None
        if request.method == "POST" and form.is_valid():
            try:
                export = exports.request_export(by=request.user, at=timezone.now(), **form.request_arguments())
            except ExportRefused as error:
                refusal = refusal_context(error)
            else:
                self.message_user(request, f"{export} is queued: this page shows its progress, then the download.",
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:attribution_financeexport_change", args=[export.pk]))
        context = {**self.page_context(request, "Request a finance export"), "form": form, "refusal": refusal}
        return TemplateResponse(request, "admin/attribution/export_request.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The progress page, then the file's figures (nothing on it is editable)."""
        export = self.visible_export(request, object_id)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        parameters = Parameters.of(export)
        closed = ClosedPeriod.objects.select_related("account").filter(export=export).first()
        context = {
            **self.page_context(request, str(export)),
            "export": export, "refresh": export.status in RUNNING, "progress": progress_text(export),
            "parameters": parameter_rows(export, parameters), "totals": totals_rows(export),
            "download_url": reverse("admin:attribution_financeexport_download", args=[export.pk]),
            "close_url": reverse("admin:attribution_financeexport_close_period", args=[export.pk]),
            "may_close": may_close(export, parameters) and closed is None,
            "closed_period": closed, "closed_text": periods.describe(closed) if closed else "",
            "restatement_url": (reverse("admin:attribution_financeexport_add")
                                + f"?kind=restatement&closed_period={closed.pk}") if closed else "",
            "requested_by": person(export.requested_by), "requested_at": utc_text(export.requested_at),
            "finished_at": utc_text(export.finished_at),
        }
        return TemplateResponse(request, "admin/attribution/export_progress.html", context)

    def download_view(self, request, object_id):
        """The file, streamed, for someone with a finance role in every one of its accounts (checked each time)."""
        export = self.visible_export(request, object_id)
        if export.status != FinanceExport.Status.DONE:
            raise Http404("The export is not ready yet.")
        try:
            handle = open(files.exports_root() / export.file_name, "rb")  # noqa: SIM115 - FileResponse closes it
        except FileNotFoundError:
            raise Http404("The export's file is missing from the exports folder.") from None
        if os.fstat(handle.fileno()).st_size != export.byte_size:
            handle.close()
            raise Http404("The export's file is not the one that was written (its size differs).")
        response = FileResponse(handle, as_attachment=True, filename=f"chorus-{export.file_name}",
                                content_type=CONTENT_TYPES[export.file_format])
        response["X-Content-SHA256"] = export.sha256
        response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(export.sha256)).decode()}:"
        response["Cache-Control"] = "private, no-store"
        return response

    def close_period_view(self, request, object_id):
        """POST from "Close this period": periods.close_period(), reported in a message."""
        export = self.visible_export(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            period = periods.close_period(export=export, by=request.user, at=timezone.now())
        except ExportRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(request, f"Closed {periods.describe(period)}: its figures are frozen as in this export; "
                                       "later changes to it go in a restatement.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:attribution_financeexport_change", args=[export.pk]))


def may_close(export, parameters):
    return (export.status == FinanceExport.Status.DONE and export.kind == FinanceExport.Kind.CREDITS
            and len(parameters.accounts) == 1 and not parameters.campaigns)


def progress_text(export):
    if export.status == FinanceExport.Status.QUEUED:
        return "waiting for a worker"
    if export.rows_expected is None:
        return "counting rows" if export.status == FinanceExport.Status.RUNNING else "—"
    return f"{export.rows_written:,} of {export.rows_expected:,} rows"


def parameter_rows(export, parameters):
    accounts = ", ".join(sorted(account.name for account in export.accounts.all()))
    campaign_names = sorted(Campaign.objects.filter(pk__in=parameters.campaigns).values_list("name", flat=True))
    rows = [("Export", export.get_kind_display()), ("Period", period_text(parameters)),
            ("From (UTC, included)", utc_text(parameters.starts_at)),
            ("Until (UTC, excluded)", utc_text(parameters.ends_at)), ("Accounts", accounts)]
    if export.kind in {FinanceExport.Kind.CREDITS, FinanceExport.Kind.RESTATEMENT}:
        rows += [("Campaigns", ", ".join(campaign_names) or "All"),
                 ("Attribution model", Model(parameters.model).label)]
    rows += [("Format", export.get_file_format_display()), ("Columns", f"version {parameters.columns_version} "
                                                                       "(docs/exports.md)")]
    return rows


def totals_rows(export):
    """[(currency, [(figure, value)])] for the page, figures named as in docs/exports.md."""
    return [(currency, [(name.replace("_", " "), f"{value:,}" if isinstance(value, int) else value)
                        for name, value in figures.items()])
            for currency, figures in sorted(export.totals.items())]


def refusal_context(error):
    """The refusal's sentence and, for a closed period, links to its closing export and to a restatement."""
    period = error.closed_period
    if period is None:
        return {"message": str(error)}
    return {"message": str(error),
            "export_url": reverse("admin:attribution_financeexport_change", args=[period.export_id]),
            "export_name": f"export #{period.export_id}",
            "restatement_url": reverse("admin:attribution_financeexport_add")
            + f"?kind=restatement&closed_period={period.pk}"}

