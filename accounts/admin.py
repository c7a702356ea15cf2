from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils.html import format_html

from accounts.forms import BrandAccountForm
from accounts.memberships import add_member, remove_member
from accounts.models import BrandAccount, Membership, SocialHandle, User
from accounts.roles import MANAGER_ROLES
from accounts.scoping import AccountScopedAdmin, AccountScopedInline, is_superuser


def save_memberships(formset):
    """Membership inlines save through accounts.memberships, which also grants and ends admin access."""
    memberships = formset.save(commit=False)
    for membership in formset.deleted_objects:
        remove_member(account=membership.account, user=membership.user)
    for membership in memberships:
        add_member(account=membership.account, user=membership.user, role=membership.role)


class SocialHandleInline(AccountScopedInline, admin.TabularInline):
    model = SocialHandle
    account_path = ""
    edit_roles = MANAGER_ROLES
    extra = 0


class MembershipForm(forms.ModelForm):
    """Members are named by email, so choosing one never lists every user of the site."""

    email = forms.EmailField(label="Staff email", help_text="The person must have signed up already.")

    class Meta:
        model = Membership
        fields = ["role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True

    def clean_email(self):
        email = self.cleaned_data["email"]
        if self.instance.pk:
            return email
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                f"No active user has the email {email}. Ask them to sign up first, then add them here."
            )
        self.instance.user = user
        return email


class MembershipInline(AccountScopedInline, admin.TabularInline):
    model = Membership
    form = MembershipForm
    account_path = ""
    edit_roles = MANAGER_ROLES
    fields = ["email", "role", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0


@admin.register(BrandAccount)
class BrandAccountAdmin(AccountScopedAdmin):
    form = BrandAccountForm
    account_path = ""
    edit_roles = MANAGER_ROLES
    list_display = ["name", "kind", "parent", "timezone", "currency", "handle_count", "active"]
    ordering = ["name"]
    list_filter = ["kind", "active", "parent"]
    search_fields = ["name", "slug", "handles__handle"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    inlines = [SocialHandleInline, MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "parent", "active"]}),
        ("Presentation", {"fields": ["description", "avatar_upload", "avatar_preview", "brand_colour"]}),
        ("Locale", {"fields": ["timezone", "currency"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent").annotate(handle_total=Count("handles"))

    readonly_fields = ["avatar_preview"]

    @admin.display(description="Current avatar")
    def avatar_preview(self, account):
        if not account.avatar:
            return "None yet."
        return format_html('<img src="{}" alt="" width="64" height="64">', account.avatar.url)

    @admin.display(description="Handles", ordering="handle_total")
    def handle_count(self, account):
        return account.handle_total

    def has_add_permission(self, request):
        # New brand accounts are created by the brand's superusers, who then add managers.
        return is_superuser(request)

    def scope_related_queryset(self, db_field, request, queryset):
        if db_field.name == "parent" and not is_superuser(request):
            # Placing an account under another is an edit of both: only accounts the user manages.
            return queryset.filter(pk__in=list(self.editable_queryset(request).values_list("pk", flat=True)))
        return super().scope_related_queryset(db_field, request, queryset)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        if not self.may_edit(request, form.instance):
            raise PermissionDenied("Only the account's managers change who its members are.")
        save_memberships(formset)


class MembershipOfUserInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    fields = ["account", "role", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People. Superusers only: staff of one account must not browse every customer."""

    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_superuser", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "name"]
    inlines = [MembershipOfUserInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = []

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        save_memberships(formset)

    def has_module_permission(self, request):
        return is_superuser(request)

    def has_view_permission(self, request, obj=None):
        return is_superuser(request)

    def has_add_permission(self, request):
        return is_superuser(request)

    def has_change_permission(self, request, obj=None):
        return is_superuser(request)

    def has_delete_permission(self, request, obj=None):
        return is_superuser(request)
