"""Importing sales from a CSV in the admin: upload (dry run by default), then a page with progress and the report.

The file is stored under IMPORTS_ROOT with a server-side name and read by a worker
(`imports.run_import`, the same path as `manage.py import_sales`); the page refreshes itself every
two seconds while the worker reads, then shows what was stored and every row's problem.
"""

import contextlib
import uuid

import django_rq
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from redis.exceptions import RedisError

from accounts.roles import FINANCE_ROLES
from accounts.scoping import account_ids_with, is_superuser
from attribution.admin.common import FinanceScopedAdmin
from attribution.models import SalesImport, SalesSource

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class UploadForm(forms.ModelForm):
    upload = forms.FileField(label="CSV file", help_text=(
        "UTF-8, with a header row: type, order_id, occurred_at, amount, currency, and optionally id, customer_email, "
        "visitor_id, referral_code, coupon_code, payment_fingerprint, lines (see docs/sales-import.md)."))

    class Meta:
        model = SalesImport
        fields = ["source", "dry_run"]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB: split it "
                                        "into several files, or use manage.py import_sales on the server.")
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Upload a .csv file (save the spreadsheet as “CSV UTF-8”).")
        return upload


def enqueue_import(import_id):
    with contextlib.suppress(RedisError):  # the every-minute sweep starts imports still queued
        django_rq.get_queue("default", commit_mode="auto").enqueue("attribution.jobs.run_sales_import", import_id,
                                                                    job_timeout=6 * 3600)


@admin.register(SalesImport)
class SalesImportAdmin(FinanceScopedAdmin):
    account_path = "source__account"
    edit_roles = FINANCE_ROLES
    form = UploadForm
    list_display = ["__str__", "status", "progress", "stored", "duplicates", "problem_count", "requested_at"]
    list_select_related = ["source"]
    readonly_fields = ["source", "original_name", "dry_run", "status", "progress", "stored", "duplicates",
                       "problem_count", "problem_table", "requested_by", "requested_at", "finished_at"]

    def has_add_permission(self, request):
        return self.may_edit(request)

    def get_fields(self, request, obj=None):
        return ["source", "upload", "dry_run"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "source" and not is_superuser(request):
            # Finance people import into their accounts' sources (the sources' own admin is for managers).
            formfield.queryset = SalesSource.objects.filter(account__in=account_ids_with(request, FINANCE_ROLES),
                                                            active=True)
        return formfield

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data["upload"]
        settings.IMPORTS_ROOT.mkdir(parents=True, exist_ok=True)
        obj.file_name = f"{uuid.uuid4().hex}.csv"
        with open(settings.IMPORTS_ROOT / obj.file_name, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        obj.original_name = upload.name[:200]
        obj.requested_by, obj.requested_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: enqueue_import(obj.pk))

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, "The file is being read; this page shows the progress.", messages.INFO)
        return HttpResponseRedirect(reverse("admin:attribution_salesimport_change", args=[obj.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        found = self.get_object(request, object_id)
        running = found is not None and found.status in {SalesImport.Status.QUEUED, SalesImport.Status.RUNNING}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "refresh": running})

    @admin.display(description="progress")
    def progress(self, obj):
        if obj.rows_total is None:
            return "waiting for a worker" if obj.status == SalesImport.Status.QUEUED else "counting rows"
        return f"{obj.rows_done:,} of {obj.rows_total:,} rows"

    @admin.display(description="problems by row")
    def problem_table(self, obj):
        if not obj.problems:
            return "None." if obj.status == SalesImport.Status.DONE else "—"
        more = obj.problem_count - len(obj.problems)
        return format_html(
            '<table><thead><tr><th scope="col">Line</th><th scope="col">Field</th><th scope="col">What to fix</th>'
            '</tr></thead><tbody>{}</tbody></table>{}',
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", obj.problems),
            f"… and {more:,} more." if more > 0 else "")
