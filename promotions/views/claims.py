"""`/claim/<token>/`: where a winner gives the details to send the prize to.

The token in the emailed link is the invitation, and the signed-in account is the proof of
who is using it: only the user of the winning participant sees the page. Anyone else signed in
gets the same 404 as for a token that does not exist, so a forwarded or guessed link tells
nobody that it belongs to a winner. Visitors who are not signed in are sent to sign in first
and come back here, without the token being looked up.
"""

import re

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods

from campaigns.schedules import to_local
from campaigns.views.landing import allow_own_styles, style_sources
from promotions import winners
from promotions.models import Winner

PHONE = re.compile(r"\+?[0-9 ()./-]{6,40}")


class ClaimForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200,
                                help_text="As on your ID: the prize (a ticket, a parcel) is issued in this name.",
                                error_messages={"required": "Enter your full name."})
    shipping_address = forms.CharField(
        label="Address to send the prize to", max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the address to send the prize to, with the postcode and country."})
    phone = forms.CharField(label="Phone number", max_length=40,
                            help_text="With the country code, e.g. +82 10 1234 5678.",
                            error_messages={"required": "Enter a phone number we can reach you on."})
    confirms_eligibility = forms.BooleanField(
        label="I confirm that I meet the eligibility rules in the official rules of this giveaway.",
        error_messages={"required": "Tick this box to confirm you are eligible; we cannot send the prize without it."})

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not PHONE.fullmatch(phone) or sum(character.isdigit() for character in phone) < 6:
            raise forms.ValidationError("Enter a phone number with digits only (spaces, dashes and a leading + are "
                                        "fine), e.g. +82 10 1234 5678.")
        return phone


def load_winner(request, token):
    winner = (Winner.objects.select_related("participant", "draw__round__giveaway__campaign__owner_account")
              .filter(claim_token=token).first())
    if winner is None or winner.participant.user_id != request.user.pk:
        raise Http404("No prize to claim here.")
    return winner


@require_http_methods(["GET", "HEAD", "POST"])
def claim_page(request, token):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    winner = load_winner(request, token)
    form = ClaimForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            winners.claim_prize(winner=winner, at=timezone.now(), **form.cleaned_data)
        except winners.WinnerRefused as error:
            refusal = str(error)
        else:
            return redirect("promotions:claim", token=token)  # after a POST, a reload must not post again
    giveaway = winner.draw.round.giveaway
    owner = giveaway.campaign.owner_account
    response = render(request, "promotions/claim.html", {
        "winner": winner, "giveaway": giveaway, "owner": owner, "form": form, "refusal": refusal,
        "Status": Winner.Status,
        "window_closed": winner.claim_deadline is not None and timezone.now() >= winner.claim_deadline,
        "deadline": winner.claim_deadline and to_local(winner.claim_deadline, owner.timezone),
        "claimed_local": winner.claimed_at and to_local(winner.claimed_at, owner.timezone),
    })
    patch_cache_control(response, private=True, no_store=True)  # shipping details: never kept by a cache
    return allow_own_styles(response, style_sources(response.content.decode()))
