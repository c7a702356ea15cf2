"""The page an action shows to ask for a reason (reject entries, block people, forfeit a prize) before acting.

Like Django's "delete selected" confirmation: the selection travels in hidden fields, the
page posts the same action back with `confirm=yes` and the reason, and the action runs only
then. A blank reason shows the page again with a sentence saying what to write.
"""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

SHOWN = 50  # the page names this many of the selected objects, then says how many more


def reason_given(request):
    """(confirmed, reason): whether the reason page was submitted, and the reason typed (stripped)."""
    return request.POST.get("confirm") == "yes", request.POST.get("reason", "").strip()


def ask_for_reason(model_admin, request, queryset, *, action, title, question, button, error="", explanation=""):
    selected = list(queryset[: SHOWN + 1])
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "question": question,
        "explanation": explanation,
        "button": button,
        "action": action,
        "objects": [str(obj) for obj in selected[:SHOWN]],
        "more": max(queryset.count() - SHOWN, 0) if len(selected) > SHOWN else 0,
        "selected_ids": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "reason": request.POST.get("reason", ""),
        "error": error,
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/promotions/reason.html", context)
