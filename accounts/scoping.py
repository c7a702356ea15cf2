"""Per-account isolation in the admin, in one place.

Every admin class for a model that belongs to a brand account inherits
`AccountScopedAdmin` (or `AccountScopedInline` for inlines) and names the path
from its model to the account in `account_path`. From that one attribute:

- changelists, change/delete/history pages, autocomplete and actions only
  reach objects of accounts the user is a member of (others give 404/403);
- foreign-key and many-to-many choices only offer objects the user may *edit*
  (seeing a co-run campaign is not the right to attach things to it) and brand
  accounts the user may edit, so a crafted POST naming another account's id
  fails form validation; saving re-checks the edit right on the object and its
  parent, whatever the form let through;
- roles decide what the user may do: `edit_roles` may add, change and
  delete; every member may view.

Superusers see and do everything. Staff users who are members of nothing see
nothing. Django's own per-model permissions are not consulted: the role in the
object's account is the permission.
"""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models

from accounts.memberships import member_roles
from accounts.models import BrandAccount
from accounts.roles import EDITOR_ROLES

ROLES_CACHE_ATTRIBUTE = "_chorus_member_roles"


def roles_of(request):
    """{account id: role} for the requesting user, read once per request."""
    if not hasattr(request, ROLES_CACHE_ATTRIBUTE):
        setattr(request, ROLES_CACHE_ATTRIBUTE, member_roles(request.user))
    return getattr(request, ROLES_CACHE_ATTRIBUTE)


def is_superuser(request):
    return request.user.is_active and request.user.is_superuser


def account_of(obj, path):
    """Follow `path` ("" for the account itself, or "campaign__owner_account") from obj."""
    for name in filter(None, path.split("__")):
        obj = getattr(obj, name) if obj is not None else None
    return obj


def account_ids_with(request, roles):
    return [account_id for account_id, role in roles_of(request).items() if role in roles]


class AccountScopingMixin:
    """What admins and inlines share: the path to the account and the role checks."""

    #: ORM path from this model to its BrandAccount; "" when the model is BrandAccount.
    account_path = "account"
    #: Optional many-to-many path to accounts whose members may also *view* (e.g. a
    #: campaign's co-running accounts); editing stays with `account_path`'s account.
    co_account_path = ""
    #: Roles allowed to add, change and delete.
    edit_roles = EDITOR_ROLES
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def account_lookup(self, suffix="in"):
        return f"{self.account_path}__{suffix}" if self.account_path else f"pk__{suffix}"

    def may_view(self, request, obj=None):
        if is_superuser(request):
            return True
        roles = roles_of(request)
        if obj is None:
            return bool(roles)
        account = account_of(obj, self.account_path)
        if account is not None and account.pk in roles:
            return True
        if self.co_account_path and obj.pk is not None:
            *path, name = self.co_account_path.split("__")
            holder = account_of(obj, "__".join(path))  # e.g. a touch's campaign
            return holder is not None and getattr(holder, name).filter(pk__in=list(roles)).exists()
        return False

    def may_edit(self, request, obj=None):
        if is_superuser(request):
            return True
        editable = account_ids_with(request, self.edit_roles)
        if obj is None:
            return bool(editable)
        account = account_of(obj, self.account_path)
        return account is not None and account.pk in editable

    def scope_related_queryset(self, db_field, request, queryset):
        """Limit choices to what the user may edit: brand accounts by this admin's edit roles, objects of
        scoped models by their own admin's edit roles in their own account (never via co-running)."""
        if is_superuser(request):
            return queryset
        related_model = db_field.remote_field.model
        if related_model is BrandAccount:
            return queryset.filter(pk__in=account_ids_with(request, self.edit_roles))
        related_admin = self.admin_site._registry.get(related_model)
        if isinstance(related_admin, AccountScopedAdmin):
            return queryset.filter(pk__in=related_admin.editable_queryset(request).values("pk"))
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self.scope_related_queryset(db_field, request, formfield.queryset)
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self.scope_related_queryset(db_field, request, formfield.queryset)
        return formfield


class AccountScopedAdmin(AccountScopingMixin, admin.ModelAdmin):
    def editable_queryset(self, request):
        """Objects in accounts where the user has an edit role (co-running accounts give no edit right)."""
        queryset = self.model._default_manager.all()
        if is_superuser(request):
            return queryset
        return queryset.filter(**{self.account_lookup(): account_ids_with(request, self.edit_roles)})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_superuser(request):
            return queryset
        holder = self.co_account_holder()
        if holder:
            # E.g. touches of visible campaigns: `campaign_id IN (<ids>)`, the ids read once per request
            # from the campaign table, never a subquery over this (possibly huge) table itself.
            return queryset.filter(**{f"{holder}__in": self.visible_holder_ids(request)})
        account_ids = list(roles_of(request))
        visible = models.Q(**{self.account_lookup(): account_ids})
        if self.co_account_path:
            co_run = self.model.objects.filter(**{f"{self.co_account_path}__in": account_ids}).values("pk")
            visible |= models.Q(pk__in=co_run)
        return queryset.filter(visible)

    def co_account_holder(self):
        """The path to the object that has the co-accounts ("campaign" for a touch), or "" for the object itself."""
        return "__".join(self.co_account_path.split("__")[:-1])

    def visible_holder_ids(self, request):
        """Ids of the holders (e.g. campaigns) the user's accounts own or co-run: one small query per request."""
        holder = self.co_account_holder()
        cache = getattr(request, "_chorus_visible_holder_ids", {})
        if holder not in cache:
            holder_model = self.model._meta.get_field(holder).related_model
            owner_path = self.account_path.removeprefix(f"{holder}__")
            co_path = self.co_account_path.removeprefix(f"{holder}__")
            account_ids = list(roles_of(request))
            ids = (holder_model.objects.filter(models.Q(**{f"{owner_path}__in": account_ids})
                                               | models.Q(**{f"{co_path}__in": account_ids}))
                   .order_by().values_list("pk", flat=True).distinct())
            cache[holder] = list(ids)
            request._chorus_visible_holder_ids = cache
        return cache[holder]

    def has_module_permission(self, request):
        return self.may_view(request)

    def has_view_permission(self, request, obj=None):
        return self.may_view(request, obj)

    def has_add_permission(self, request):
        return self.may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def save_model(self, request, obj, form, change):
        # The form's choices are scoped already; this is the last line if a form, an override or a
        # later admin forgets: nothing is saved into an account the user may not edit.
        if not self.may_edit(request, obj):
            raise PermissionDenied("You may not save objects in this account.")
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if not self.may_edit(request, form.instance):
            raise PermissionDenied("You may not change what belongs to this object.")
        super().save_formset(request, form, formset, change)

    def log_change(self, request, obj, message):
        """A save that changed nothing is not history: no "No fields changed." entries."""
        if not message:
            return None
        return super().log_change(request, obj, message)

    def get_list_filter(self, request):
        """Filters on accounts or account-owned objects list only what is present in what the user can see."""
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and self.points_to_scoped_model(entry):
                entry = (entry, admin.RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

    def points_to_scoped_model(self, field_path):
        model = self.model
        for name in field_path.split("__"):
            try:
                model = model._meta.get_field(name).related_model
            except FieldDoesNotExist:
                return False
            if model is None:
                return False
        return model is BrandAccount or isinstance(self.admin_site._registry.get(model), AccountScopedAdmin)

    def response_action(self, request, queryset):
        """Actions only touch objects in accounts the user may edit, whatever ids were posted."""
        if not is_superuser(request):
            action = request.POST.get("action", "")
            function = self.get_actions(request).get(action, (None,))[0]
            if function is None or set(getattr(function, "allowed_permissions", ("change",))) != {"view"}:
                queryset = queryset.filter(**{self.account_lookup(): account_ids_with(request, self.edit_roles)})
        return super().response_action(request, queryset)


    def _get_list_editable_queryset(self, request, prefix):
        """Rows saved from an editable changelist must also be in accounts the user may edit."""
        queryset = super()._get_list_editable_queryset(request, prefix)
        if is_superuser(request):
            return queryset
        return queryset.filter(**{self.account_lookup(): account_ids_with(request, self.edit_roles)})


class AccountScopedInline(AccountScopingMixin):
    """Mix into an InlineModelAdmin; `account_path` here goes from the *parent* object to its account."""

    def has_view_permission(self, request, obj=None):
        return self.may_view(request, obj)

    def has_add_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.may_edit(request, obj)


def view_on_site(request, content_type_id, object_id):
    """`/admin/r/<content type>/<id>/` ("view on site") with the same scoping as the object's admin page.

    Django's own view redirects for any staff user and any object, which reveals other accounts' draft
    slugs and link codes in the Location header. Here the object must be one the user may view in its
    admin (404 otherwise, exactly like an id that does not exist), and the address comes from
    PUBLIC_BASE_URL.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.http import Http404, HttpResponseRedirect

    from common.addresses import absolute_url

    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404("No such object.") from None
    model_admin = admin.site._registry.get(model)
    if model_admin is None or not hasattr(model, "get_absolute_url"):
        raise Http404("No such object.")
    try:
        obj = model_admin.get_queryset(request).get(pk=object_id)
    except (model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such object.") from None
    if not model_admin.has_view_or_change_permission(request, obj):
        raise Http404("No such object.")
    return HttpResponseRedirect(absolute_url(obj.get_absolute_url()))
