"""Baselines: the least a Django view can do for the same job, under the same settings."""

from django.http import HttpResponseForbidden, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.benchsite.models import BareClick, BareEntry, BareEvent, BarePage


def bare_insert(request, code):
    BareClick.objects.create(code=code, occurred_at=timezone.now())
    return HttpResponseRedirect("/c/bench/")


def bare_page(request, pk):
    return render(request, "benchsite/page.html", {"page": get_object_or_404(BarePage, pk=pk)})


@require_POST
def bare_signed_in_insert(request, mission):
    """One INSERT for a signed-in user, through the same middleware (session, CSRF, auth), then a redirect."""
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    BareEntry.objects.create(user_id=request.user.pk, mission=mission, created_at=timezone.now())
    return HttpResponseRedirect("/bare/page/1/", status=303)


def bare_signed_in_page(request, pk):
    """A primary-key read and a small template for a signed-in user (the session and user are read too)."""
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    return render(request, "benchsite/signed_in_page.html",
                  {"page": get_object_or_404(BarePage, pk=pk), "user": request.user})


@csrf_exempt
@require_POST
def bare_event(request):
    """One INSERT of the raw body and a small JSON answer: the least a webhook receiver can do."""
    BareEvent.objects.create(body=request.body.decode(), received_at=timezone.now())
    return JsonResponse({"status": "stored"})
