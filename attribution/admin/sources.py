"""Sales sources: the shop's key, its signing secrets (rotated with an overlap) and its refused deliveries.

Managers set sources up and rotate secrets (only they see a secret in full); finance people may look.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.roles import MANAGER_ROLES
from attribution import sources
from attribution.admin.common import FinanceScopedAdmin
from attribution.models import SalesSource
from common.addresses import absolute_url

RECENT_REJECTS = 10


class SalesSourceForm(forms.ModelForm):
    class Meta:
        model = SalesSource
        fields = ["account", "name", "key", "active"]

    def clean_key(self):
        key = self.cleaned_data["key"]
        if self.instance.pk and key != self.instance.key and self.instance.inbox.exists():
            raise forms.ValidationError(
                f"The shop sends “{self.instance.key}” with every event and sales are filed under it: "
                "keep the key, or add a new source for a new key.")
        return key


@admin.register(SalesSource)
class SalesSourceAdmin(FinanceScopedAdmin):
    form = SalesSourceForm
    edit_roles = MANAGER_ROLES
    list_display = ["name", "account", "key", "active"]
    list_filter = ["account", "active"]
    search_fields = ["name", "key"]
    readonly_fields = ["webhook", "secrets_now", "recent_rejects"]
    fieldsets = [
        (None, {"fields": ["account", "name", "key", "active"]}),
        ("Sending events", {"fields": ["webhook", "secrets_now"]}),
        ("Refused deliveries", {"fields": ["recent_rejects"]}),
    ]

    # Sources are set up by managers; finance people look (FinanceScopedAdmin makes the page read-only).
    def has_add_permission(self, request):
        return self.may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj is not None else self.fieldsets[:1]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            sources.issue_first_secret(source=obj, by=request.user, at=timezone.now())

    @admin.display(description="webhook")
    def webhook(self, obj):
        return format_html(
            "<code>POST {}</code><br>Body: one JSON event with <code>\"source\": \"{}\"</code>; header "
            "<code>Chorus-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of \"t.body\"&gt;</code>. "
            "The contract: <code>docs/sales-api.yaml</code>.", absolute_url(reverse("attribution:sales-webhook")),
            obj.key)

    @admin.display(description="signing secrets")
    def secrets_now(self, obj):
        now = timezone.now()
        reveal = getattr(obj, "_reveal_secrets", False)
        rows = []
        for secret in obj.secrets.order_by("-created_at")[:5]:
            if secret.expires_at is not None and secret.expires_at <= now:
                state = "expired"
            elif secret.expires_at is not None:
                state = f"valid until {secret.expires_at:%Y-%m-%d %H:%M} UTC"
            else:
                state = "current"
            shown = secret.secret if reveal else secret.secret[:10] + "…"
            rows.append((shown, state, f"{secret.created_at:%Y-%m-%d %H:%M} UTC"))
        table = format_html_join("", "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>", rows)
        rotate = ""
        if reveal:
            rotate = format_html(
                '<form method="post" action="{}" class="rotate-secret"><input type="hidden" name="csrfmiddlewaretoken" '
                'value="{}"><label for="overlap_hours">Keep the current secret working for</label> '
                '<input type="number" id="overlap_hours" name="overlap_hours" value="24" min="0" max="168"> hours '
                '<button type="submit" class="button">Rotate secret</button></form>',
                reverse("admin:attribution_salessource_rotate", args=[obj.pk]), obj._csrf_token)
        return format_html('<table><thead><tr><th scope="col">Secret</th><th scope="col">State</th>'
                           '<th scope="col">Made</th></tr></thead><tbody>{}</tbody></table>{}', table, rotate)

    @admin.display(description="last refused deliveries")
    def recent_rejects(self, obj):
        rows = [(f"{reject.received_at:%Y-%m-%d %H:%M:%S}", reject.status_code, reject.error, reject.detail)
                for reject in obj.rejects.order_by("-received_at")[:RECENT_REJECTS]]
        if not rows:
            return "None."
        return format_html('<table><thead><tr><th scope="col">At (UTC)</th><th scope="col">Status</th>'
                           '<th scope="col">Error</th><th scope="col">What to fix</th></tr></thead><tbody>{}</tbody>'
                           '</table>', format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                                                        rows))

    def get_object(self, request, object_id, from_field=None):
        # The secrets cell sees only the object: it carries who may see secrets, and a CSRF token for the
        # cell's own small form, for this request (the admin instance is shared between threads).
        source = super().get_object(request, object_id, from_field)
        if source is not None:
            source._reveal_secrets = self.may_edit(request, source)
            source._csrf_token = get_token(request)
        return source

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:object_id>/rotate/", wrap(self.rotate_view), name="attribution_salessource_rotate"),
                *super().get_urls()]

    def rotate_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        source = self.get_object(request, object_id)
        if source is None or not self.has_view_permission(request, source):
            raise Http404("No such sales source.")
        if not self.may_edit(request, source):
            raise PermissionDenied
        hours = request.POST.get("overlap_hours", "")
        back = HttpResponseRedirect(reverse("admin:attribution_salessource_change", args=[source.pk]))
        if not hours.isdigit() or int(hours) > sources.LONGEST_OVERLAP.days * 24:
            self.message_user(request, "Enter how many hours the current secret keeps working: a whole number from 0 "
                                       f"to {sources.LONGEST_OVERLAP.days * 24}.", messages.ERROR)
            return back
        sources.rotate_secret(source=source, overlap=timedelta(hours=int(hours)), by=request.user, at=timezone.now())
        self.log_change(request, source, f"Rotated the signing secret ({hours} h overlap).")
        self.message_user(request, f"A new secret is current. The previous one keeps working for {hours} hours: give "
                                   "the new one to the shop before then.", messages.SUCCESS)
        return back
