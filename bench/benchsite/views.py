"""Baselines: the least a Django view can do for the same job, under the same settings."""

from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from bench.benchsite.models import BareClick, BarePage


def bare_insert(request, code):
    BareClick.objects.create(code=code, occurred_at=timezone.now())
    return HttpResponseRedirect("/c/bench/")


def bare_page(request, pk):
    return render(request, "benchsite/page.html", {"page": get_object_or_404(BarePage, pk=pk)})
