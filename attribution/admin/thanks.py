"""The thank-you e-mail of each brand account — its text, a preview, what was sent — and the send log.

The account's managers and marketers edit the e-mail (EDITOR_ROLES); its finance people may look. Analysts
see neither page: the preview and the log name real orders, which only editors and finance see. Nobody sees
another account's e-mail or log (their ids are a 404). The log is facts written by `attribution.thanks`:
read-only, and customers' addresses are masked for everyone ("m…@example.com").

"Preview" checks the form and shows the e-mail as typed — against the account's latest credited sale, or
sample values when there is none — without saving; unknown {placeholders} are a form error naming them.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.forms.utils import ErrorList
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.roles import EDITOR_ROLES, FINANCE_ROLES
from attribution import thanks
from attribution.admin.common import FinanceScopedAdmin
from attribution.models import ThankYouMessage, ThankYouTemplate
from campaigns.admin.campaigns import person
from campaigns.schedules import to_local
from promotions.admin.common import masked_email

VIEW_ROLES = EDITOR_ROLES | FINANCE_ROLES
PREVIEW = "_preview"
PREVIEW_CODE = "preview-only"
RECENT_MESSAGES = 10
NON_FIELD = forms.forms.NON_FIELD_ERRORS


def local_time(account, instant):
    return f"{to_local(instant, account.timezone):%Y-%m-%d %H:%M} {account.timezone}"


class NotFoundForOthers:
    """Another account's id (or none at all) is a 404 on the change, delete and history pages, never a redirect
    that says "perhaps it was deleted"."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(f"No {opts.verbose_name} here.")


class ThankYouTemplateForm(forms.ModelForm):
    #: True for a "Preview" press (set by the admin per request): the form is checked and shown, never saved.
    previewing = False

    class Meta:
        model = ThankYouTemplate
        fields = ["account", "enabled", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10, "cols": 80})}

    def clean_subject(self):
        return checked_text(self.cleaned_data["subject"])

    def clean_body(self):
        return checked_text(self.cleaned_data["body"])

    def clean(self):
        cleaned = super().clean()
        # The preview shows the typed text: only when every variable in it is known.
        self.instance._preview_blocked = any(name in self.errors for name in ("subject", "body"))
        if self.previewing:
            raise forms.ValidationError("Preview only: nothing saved.", code=PREVIEW_CODE)
        return cleaned


def checked_text(text):
    problem = thanks.placeholder_problems(text)
    if problem:
        raise forms.ValidationError(problem)
    return text


@admin.register(ThankYouTemplate)
class ThankYouTemplateAdmin(NotFoundForOthers, FinanceScopedAdmin):
    form = ThankYouTemplateForm
    view_roles = VIEW_ROLES
    edit_roles = EDITOR_ROLES
    change_form_template = "admin/attribution/thanks_change_form.html"
    list_display = ["account", "enabled", "subject", "last_change", "log_link"]
    list_select_related = ["account", "updated_by"]
    list_filter = ["enabled"]
    ordering = ["account__name"]
    readonly_fields = ["variables", "preview", "recent_messages", "last_change"]

    # Editors write the e-mail; finance looks (FinanceScopedAdmin keeps the page to VIEW_ROLES of the account).
    def has_add_permission(self, request):
        return self.may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # switch it off instead: the log keeps pointing at the account

    def get_fieldsets(self, request, obj=None):
        text = ["account", "enabled", "subject", "body", "variables"]
        if obj is None:
            return [(None, {"fields": text}), ("Preview", {"fields": ["preview"]})]
        return [(None, {"fields": [*text, "last_change"]}), ("Preview", {"fields": ["preview"]}),
                ("Sent lately", {"fields": ["recent_messages"]})]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "account"] if obj is not None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.previewing = request.method == "POST" and PREVIEW in request.POST  # a class of this request's own
        return form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if form.is_bound and form.previewing:
            # The marker only stopped the save: the page shows the form as typed, with its real errors only.
            kept = [error for error in form.errors.get(NON_FIELD, ErrorList()).as_data()
                    if error.code != PREVIEW_CODE]
            if kept:
                form.errors[NON_FIELD] = form.error_class(kept, error_class="nonfield", renderer=form.renderer)
            else:
                form.errors.pop(NON_FIELD, None)
            context["errors"] = helpers.AdminErrorList(form, [])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return  # a save that changes nothing moves nothing (the e-mail counts as on since its last change)
        obj.updated_by = request.user
        if obj.enabled and ("enabled" in form.changed_data or obj.enabled_at is None):
            obj.enabled_at = timezone.now()  # switching on never mails earlier buyers; editing the text moves nothing
        super().save_model(request, obj, form, change)

    @admin.display(description="variables")
    def variables(self, template):
        return render_to_string("admin/attribution/thanks_variables.html")

    @admin.display(description="last changed")
    def last_change(self, template):
        if template.pk is None:
            return "—"
        by = f" by {person(template.updated_by)}" if template.updated_by is not None else ""
        return f"{local_time(template.account, template.updated_at)}{by}"

    @admin.display(description="e-mail")
    def preview(self, template):
        if getattr(template, "_preview_blocked", False):
            return "Fix what is marked above; the preview shows the e-mail once every variable in it is known."
        if template.account_id is None:
            return "Choose the account, then press “Preview”."
        shown = thanks.preview(template=template, account=template.account)
        return render_to_string("admin/attribution/thanks_preview.html", {
            "preview": shown, "to": masked_email(shown.to) if shown.sale is not None else shown.to,
            "window_days": thanks.WINDOW.days,
        })

    @admin.display(description="send log")
    def recent_messages(self, template):
        messages = list(ThankYouMessage.objects.filter(account_id=template.account_id).select_related("sale")
                        .order_by("-at", "-pk")[:RECENT_MESSAGES])
        return render_to_string("admin/attribution/thanks_log.html", {
            "rows": [log_row(message, template.account) for message in messages],
            "log_url": log_url(template.account_id),
        })

    @admin.display(description="send log")
    def log_link(self, template):
        return format_html('<a href="{}">See what was sent</a>', log_url(template.account_id))


def log_url(account_id):
    return f"{reverse('admin:attribution_thankyoumessage_changelist')}?account__id__exact={account_id}"


def log_row(message, account):
    return {"at": local_time(account, message.at), "order": message.sale.order_id,
            "address": masked_email(message.sale.email) if message.sale.email else "—",
            "status": message.get_status_display(), "reason": message.reason}


@admin.register(ThankYouMessage)
class ThankYouMessageAdmin(NotFoundForOthers, FinanceScopedAdmin):
    """The send log: one row per order an account decided to thank, read-only, addresses masked."""

    view_roles = VIEW_ROLES
    list_display = ["sent_at", "order", "address", "status", "reason", "account"]
    list_filter = ["status", "account"]
    list_select_related = ["sale", "account"]
    search_fields = ["=sale__order_id"]
    search_help_text = "The shop's order id, exactly."
    ordering = ["-at", "-pk"]
    show_full_result_count = False
    fields = ["order", "address", "account", "status", "reason", "sent_at"]
    readonly_fields = fields

    @admin.display(description="at", ordering="at")
    def sent_at(self, message):
        return local_time(message.account, message.at)

    @admin.display(description="order", ordering="sale__order_id")
    def order(self, message):
        return message.sale.order_id

    @admin.display(description="customer")
    def address(self, message):
        return masked_email(message.sale.email) if message.sale.email else "—"
