"""`/thanks/opt-out/<token>/`: the link in every thank-you e-mail, where a customer asks for no more of them.

The token is the sale's id signed with a salt of its own (`attribution.thanks.opt_out_token`): it names no
address, so the link tells whoever sees it (a log, a forwarded e-mail) nothing about the customer. GET only
asks (mail scanners open links; opening must change nothing); the POST, CSRF-protected like every form,
records the opt-out by the normalised address. A tampered or unknown token gets a friendly 404.
"""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods

from attribution import thanks
from promotions.admin.common import masked_email


def never_cached(response):
    # The page names (part of) a customer's address: no shared or browser cache keeps it.
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def opt_out(request, token):
    sale = thanks.sale_for_token(token)
    if sale is None:
        return never_cached(render(request, "attribution/thanks_opt_out_unknown.html", status=404))
    if request.method == "POST":
        thanks.record_opt_out(email=sale.email, at=timezone.now())
        return HttpResponseRedirect(request.path)  # after a POST, a reload must not post again
    return never_cached(render(request, "attribution/thanks_opt_out.html", {
        "account": thanks.thanking_account(sale), "address": masked_email(sale.email),
        "done": thanks.has_opted_out(sale.email),
    }))
