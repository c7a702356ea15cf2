"""`/g/<slug>/`: a giveaway's public page, the details form and mission completions — server-rendered, no JavaScript.

The page shows the prize, when the round closes (or the next opens) in the owner's time, the last draw's
winners, and, for a signed-in person, the missions as a checklist with their entries in this round and a
personal referral link. Who sees a giveaway follows its campaign (campaigns/status.py): a draft is the
friendly 404 except to staff of its accounts (a preview), a paused one is shown with nothing to enter.

POSTs are Post/Redirect/Get: the outcome is a django message on the page the person comes back to, so the
new total shows at once and a reload does not post again. A refusal (`MissionRefused`) writes nothing and
says what to do. The rules are in promotions/giveaways.py; this module only reads the request and answers.

The signed-in page reads a fixed number of rows whatever the number of missions (a test counts them): besides
the session and the user, what is the same for everyone (the giveaway, its campaign, missions, accounts and
handles, the last draw, the open round, and that part of the HTML, rendered) comes from a per-process `Setup`
checked by one small query; then one query for the participant with what the staff rule needs, and one for the
person's completions and total. A mission POST reads its giveaway and mission from the same Setup.
"""

import datetime
import re
import secrets
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import connection, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from accounts.models import BrandAccount, SocialHandle
from campaigns.models import Campaign
from campaigns.status import is_shown_to_the_public, when_it_ended
from campaigns.views.landing import allow_own_styles, may_preview, style_sources
from campaigns.visitors import set_visitor_cookie
from common.addresses import absolute_url
from common.recent import RecentCache
from promotions import giveaways, rounds, throttle
from promotions.giveaways import COMPLETED_ON_THE_PAGE, MissionRefused
from promotions.landing import timing
from promotions.models import Draw, Giveaway, Mission
from promotions.rules import terms_of

Kind = Mission.Kind

# Where a referral code from `?ref=` waits until its visitor signs in and enters: {giveaway id: code}.
REFERRAL_SESSION_KEY = "promotions_referrals"
REFERRAL_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")  # what models.new_referral_code() makes


# --- loading what the page shows ---

# What a mission form carries in place of its CSRF token while it waits, rendered, in a Setup: each page puts
# its own masked token there. Random per process, so no text from a marketer can contain it.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
# Rendered fragments one Setup keeps (mission rows by state, the article by timing); more are rendered each time.
MAX_FRAGMENTS = 500


@dataclass(frozen=True)
class Setup:
    """What the page shows of a giveaway that is the same for everyone, read together.

    `giveaway` comes with its campaign, owner, missions (with their accounts and links) and the running
    accounts' handles loaded; `draw` is the latest drawn round's Draw. The HTML that is the same for everyone
    is rendered once: the head, the winners, the accounts and footer, and on first use the article for each
    Timing and each mission's row for each state (`fragment`). The open round is kept once found (`rounds`).
    Shared between requests of a process: read it, never change it (only its two caches fill up).
    """

    stamp: tuple
    giveaway: Giveaway
    missions: list
    draw: Draw | None
    share_text: str
    referral_rewards: list  # the entries of each refer-a-friend mission
    head: str
    winners: str
    footer: str
    rounds: dict = field(default_factory=dict)  # {window opens_at: Round}
    fragments: dict = field(default_factory=dict)  # {key: HTML}

    def fragment(self, key, template, context):
        """`template` rendered with `context()` (a callable: not called when the fragment is kept already)."""
        html = self.fragments.get(key)
        if html is None:
            html = render_to_string(template, context())
            if len(self.fragments) < MAX_FRAGMENTS:
                self.fragments[key] = html
        return html

    def mission(self, mission_id):
        return next((mission for mission in self.missions if mission.pk == mission_id), None)


# A giveaway's Setup, reused by a web process for LANDING_CACHE_SECONDS while its stamp (one small query:
# ids, edit times and status of the giveaway and its campaign) is unchanged. Saving the giveaway (missions are
# edited on its page) or the campaign in the admin, or a status change, shows at once; a new draw or an edited
# handle within those few seconds. It saves the signed-in page seven queries (the six of load_setup and the open
# round) and most of its rendering.
recent_setups = RecentCache(max_entries=2_000)


# The page's reads that run on every view are written out in SQL: Django spends longer building a small
# query's SQL (about half a millisecond each on the bench machine) than the database spends answering it. Each
# says which ORM query it stands for; the test command runs them on SQLite and on PostgreSQL.

STAMP_SQL = """
    SELECT g.id, g.updated_at, g.campaign_id, c.updated_at, c.status
    FROM promotions_giveaway g JOIN campaigns_campaign c ON c.id = g.campaign_id
    WHERE g.slug = %s"""


def stamp_of(slug):
    """(pk, updated_at, campaign_id, campaign's updated_at and status) of the giveaway, or None. As
    `Giveaway.objects.filter(slug=slug).values_list("pk", "updated_at", "campaign_id", "campaign__updated_at",
    "campaign__status").first()`; the times are as the database driver returns them (only compared)."""
    with connection.cursor() as cursor:
        cursor.execute(STAMP_SQL, [slug])
        return cursor.fetchone()


def load_setup(slug):
    """The giveaway's Setup, or None: one query while this process has it fresh, six when it reads it again."""
    stamp = stamp_of(slug)
    if stamp is None:
        return None
    cached = recent_setups.get(slug)
    if cached is not None and cached.stamp == stamp:
        return cached
    handles = SocialHandle.objects.order_by("platform", "handle")
    giveaway = Giveaway.objects.select_related("campaign__owner_account").prefetch_related(
        Prefetch("missions", queryset=Mission.objects.select_related("account", "link").order_by("position", "pk")),
        Prefetch("campaign__owner_account__handles", queryset=handles),
        Prefetch("campaign__co_accounts", queryset=BrandAccount.objects.prefetch_related(
            Prefetch("handles", queryset=handles))),
    ).filter(pk=stamp[0]).first()
    if giveaway is None:
        return None
    setup = new_setup(stamp, giveaway)
    recent_setups.put(slug, setup, seconds=settings.LANDING_CACHE_SECONDS)
    return setup


def new_setup(stamp, giveaway):
    """The Setup of a giveaway loaded with its missions and accounts: reads the last draw, renders what it can."""
    campaign = giveaway.campaign
    owner = campaign.owner_account
    missions = list(giveaway.missions.all())
    draw = last_draw(giveaway)
    accounts = campaign.running_accounts()
    same_for_everyone = {"giveaway": giveaway, "campaign": campaign, "owner": owner}
    return Setup(
        stamp=stamp, giveaway=giveaway, missions=missions, draw=draw,
        share_text=share_text(giveaway, accounts),
        referral_rewards=[mission.entries for mission in missions if mission.kind == Kind.REFER_FRIEND],
        head=render_to_string("promotions/_giveaway_head.html", same_for_everyone),
        winners=render_to_string("promotions/_giveaway_winners.html", {
            **same_for_everyone, "draw": draw, "winners": draw.result[:draw.winners] if draw else []}),
        footer=render_to_string("promotions/_giveaway_footer.html", {**same_for_everyone, "accounts": accounts}),
    )


def load_giveaway_to_post(slug):
    """The giveaway with its campaign and owner only: a POST needs no missions list or handles. One query."""
    return Giveaway.objects.select_related("campaign__owner_account").filter(slug=slug).first()


def visible_giveaway(request, slug, *, load=load_giveaway_to_post):
    """(giveaway, preview) for this visitor, or Http404: a draft campaign's giveaway is for its staff only."""
    giveaway = load(slug)
    if giveaway is None:
        raise Http404("No giveaway here.")
    return giveaway, preview_or_404(request, giveaway.campaign)


def visible_setup(request, slug):
    """(setup, preview) for this visitor, or Http404, as visible_giveaway()."""
    setup = load_setup(slug)
    if setup is None:
        raise Http404("No giveaway here.")
    return setup, preview_or_404(request, setup.giveaway.campaign)


def preview_or_404(request, campaign):
    """True for a staff preview of a campaign the public may not see; Http404 for anyone else."""
    preview = not is_shown_to_the_public(campaign, ended_at=when_it_ended(campaign))
    if preview and not may_preview(request.user, campaign):
        raise Http404("No giveaway here.")
    return preview


def last_draw(giveaway):
    """The draw of the giveaway's latest drawn round, or None."""
    return Draw.objects.filter(round__giveaway=giveaway).select_related("round").order_by("-round__number").first()


def current_round(setup, at):
    """rounds.current_round(), kept in the Setup once found: a round's stored window never changes (an edited
    schedule applies from the next round), and a round is picked by whether `at` is inside it, so a round that
    closed is never shown as the current one."""
    for found in setup.rounds.values():
        if found.opens_at <= at < found.closes_at:
            return found
    found = rounds.current_round(setup.giveaway, at)
    if found is not None:  # a round not opened yet is looked for again: the next completion opens it
        setup.rounds[found.opens_at] = found
    return found


def mission_states(missions, done):
    """(mission, state, times) for each mission: state is "done", "todo" or "locked"; times its completions."""
    completed_others = len(done)
    states = []
    for mission in missions:
        times = done.get(mission.pk, 0)
        others = completed_others - (1 if times else 0)
        if times and mission.kind not in (Kind.DAILY_VISIT, Kind.REFER_FRIEND):
            state = "done"
        elif mission.unlock_after and others < mission.unlock_after:
            state = "locked"
        else:
            state = "todo"
        states.append((mission, state, times))
    return states


def checklist_html(request, setup, done, *, signed_in, may_enter):
    """The missions' rows: each rendered once per Setup for its state, then this person's CSRF token put in."""
    rows = []
    for mission, state, times in mission_states(setup.missions, done):
        with_form = may_enter and state == "todo" and mission.kind in COMPLETED_ON_THE_PAGE
        shown_times = times if signed_in and state == "todo" else 0  # the only state that says how many

        def context(mission=mission, state=state, times=shown_times, with_form=with_form):
            return {"giveaway": setup.giveaway, "mission": mission, "state": state, "times": times,
                    "signed_in": signed_in, "with_form": with_form, "csrf_token": CSRF_PLACEHOLDER,
                    "choices": mission.choice_list() if mission.kind == Kind.QUIZ else (),
                    "consent": giveaways.consent_text(mission) if mission.kind == Kind.NEWSLETTER else ""}

        rows.append(setup.fragment(("mission", mission.pk, state, shown_times, signed_in, with_form),
                                   "promotions/_mission_row.html", context))
    html = "".join(rows)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))  # as {% csrf_token %}: sets the cookie too
    return mark_safe(html)  # noqa: S308 — rendered by the template engine, which escaped what it shows


def share_text(giveaway, accounts):
    """What the share links say, naming each running account's X handle (or its name)."""
    mentions = []
    for account in accounts:
        x_handles = [f"@{handle.handle}" for handle in account.handles.all()
                     if handle.platform == SocialHandle.Platform.X]
        mentions.extend(x_handles or [account.name])
    return f"Enter “{giveaway.title}” with {' '.join(mentions)}"


def share_links(text, referral_url):
    """Plain share links (no scripts): X, Facebook and LINE."""
    return [
        ("X", "https://x.com/intent/tweet?" + urlencode({"text": text, "url": referral_url})),
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": referral_url})),
        ("LINE", "https://line.me/R/share?" + urlencode({"text": f"{text} {referral_url}"})),
    ]


def remembered_referral(request, giveaway):
    return request.session.get(REFERRAL_SESSION_KEY, {}).get(str(giveaway.pk))


def remember_referral(request, giveaway):
    """Keep `?ref=<code>` in the session until the visitor signs in and enters (not checked until then)."""
    code = request.GET.get("ref", "")
    if REFERRAL_CODE.match(code) and remembered_referral(request, giveaway) != code:
        request.session[REFERRAL_SESSION_KEY] = {**request.session.get(REFERRAL_SESSION_KEY, {}),
                                                 str(giveaway.pk): code}


# --- the page ---


@require_safe
def giveaway_page(request, slug):
    setup, preview = visible_setup(request, slug)
    giveaway = setup.giveaway
    campaign = giveaway.campaign
    remember_referral(request, giveaway)
    at = timezone.now()
    current = current_round(setup, at)
    timing_now = timing(giveaway, at=at, current=current)
    context = {
        "giveaway": giveaway, "campaign": campaign, "owner": campaign.owner_account, "preview": preview,
        "head": setup.head, "winners": setup.winners, "footer": setup.footer,
        "article": setup.fragment(("article", timing_now), "promotions/_giveaway_article.html",
                                  lambda: {"giveaway": giveaway, "campaign": campaign,
                                           "owner": campaign.owner_account, "timing": timing_now}),
        "mission_count": len(setup.missions),
        "referred": remembered_referral(request, giveaway) is not None,
        "page_path": request.path,
    }
    accepting = campaign.status == Campaign.Status.LIVE and not preview
    if request.user.is_authenticated:
        context.update(personal_context(request, setup, current, at=at, accepting=accepting))
    else:
        context["checklist"] = checklist_html(request, setup, {}, signed_in=False, may_enter=False)
    html = render_to_string("promotions/giveaway.html", context, request=request)
    response = HttpResponse(html)
    # Personal (entries, referral link, CSRF tokens) or carrying a session: never kept by shared caches.
    patch_cache_control(response, private=True, no_cache=True)
    return allow_own_styles(response, style_sources(html))


def personal_context(request, setup, current, *, at, accepting):
    giveaway = setup.giveaway
    try:
        participant = giveaways.participant_for(user=request.user, at=at)
    except MissionRefused as refusal:
        return {"problem": str(refusal),
                "checklist": checklist_html(request, setup, {}, signed_in=False, may_enter=False)}
    needs_details = not participant.country or participant.birth_date is None
    problem = None
    if not needs_details:
        problem = giveaways.eligibility_problem(participant=participant, giveaway=giveaway, at=at, user=request.user,
                                                staff_or_member=getattr(participant, "staff_or_member", None),
                                                terms=terms_of(current) if current is not None else None)
    progress = giveaways.RoundProgress.of(participant, current) if current else None
    done, entries = (progress.completions(), progress.total) if progress else ({}, 0)
    may_enter = accepting and not needs_details and problem is None
    referral_url = absolute_url(f"{giveaway.get_absolute_url()}?{urlencode({'ref': participant.referral_code})}")
    return {
        "participant": participant,
        "needs_details": needs_details and accepting,
        "details_form": DetailsForm() if needs_details and accepting else None,
        "problem": problem,
        "may_enter": may_enter,
        "checklist": checklist_html(request, setup, done, signed_in=True, may_enter=may_enter),
        "entries": entries,
        "missions_done": len(done),
        "referral_url": referral_url,
        "referral_rewards": setup.referral_rewards,
        "share_links": share_links(setup.share_text, referral_url),
    }




# --- details ---


class DetailsForm(forms.Form):
    country = forms.CharField(
        label="Country you live in", max_length=2, min_length=2,
        help_text="Two letters, e.g. KR for South Korea or JP for Japan.",
        widget=forms.TextInput(attrs={"autocomplete": "country", "pattern": "[A-Za-z]{2}", "size": "2"}),
        error_messages={"min_length": "Enter your country as two letters, e.g. KR.",
                        "max_length": "Enter your country as two letters, e.g. KR.",
                        "required": "Enter your country as two letters, e.g. KR."},
    )
    birth_date = forms.DateField(
        label="Date of birth", widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        error_messages={"required": "Enter your date of birth.",
                        "invalid": "Enter your date of birth as a date, e.g. 1990-05-17."},
    )

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise forms.ValidationError("Enter your country as two letters, e.g. KR.")
        return country

    def clean_birth_date(self):
        born = self.cleaned_data["birth_date"]
        if born > timezone.now().date() or born < datetime.date(1900, 1, 1):
            raise forms.ValidationError("Enter your real date of birth: the rules depend on your age.")
        return born


@require_POST
def save_details(request, slug):
    """Record the country and date of birth that eligibility depends on, then back to the page."""
    page = reverse("promotions:giveaway-detail", args=[slug])
    limited = throttle.refuse(request, back=page)  # first: a script's POSTs cost one Redis round trip
    if limited:
        return limited
    _giveaway, _preview = visible_giveaway(request, slug)
    if not request.user.is_authenticated:
        return redirect_to_login(page)
    form = DetailsForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(page)
    try:
        participant = giveaways.participant_for(user=request.user)
        giveaways.save_details(participant=participant, country=form.cleaned_data["country"],
                               birth_date=form.cleaned_data["birth_date"])
    except MissionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(page)
    messages.success(request, "Thanks. Now complete the missions below to earn entries.")
    return redirect(page)


# --- completing a mission ---


@require_POST
def complete(request, slug, mission_id):
    """Complete one mission for the signed-in person through giveaways.complete_mission()."""
    page = reverse("promotions:giveaway-detail", args=[slug])
    limited = throttle.refuse(request, back=page)  # first: a script's POSTs cost one Redis round trip
    if limited:
        return limited
    # The giveaway and the mission (with its account and link) from this process's Setup: one query, the stamp.
    setup, _preview = visible_setup(request, slug)
    if not request.user.is_authenticated:
        return redirect_to_login(page)
    giveaway, mission = setup.giveaway, setup.mission(mission_id)
    if mission is None:
        raise Http404("This giveaway has no such mission.")
    at = timezone.now()
    facts = giveaways.entry_facts_from_request(request)
    new_visitor = facts.visitor_id is None and not facts.touch.is_bot
    if new_visitor:  # so the entry's touch is recorded, and later clicks join it
        facts.visitor_id = uuid.uuid4()
    try:
        participant = giveaways.participant_for(user=request.user, at=at)
        completion = complete_on_the_page(request, giveaway, mission, participant, facts, at=at)
    except MissionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(page)
    if completion.created:
        messages.success(request, completion.message)
    else:
        messages.info(request, completion.message)
    go_to = page
    if mission.kind == Kind.VISIT_LINK and mission.link_id:
        go_to = mission.link.get_absolute_url()  # /l/<code>: the click is recorded there as for anyone
    response = redirect(go_to)
    if new_visitor:
        set_visitor_cookie(response, request, facts.visitor_id)
    return response


def complete_on_the_page(request, giveaway, mission, participant, facts, *, at):
    """Check what only the form knows, then complete; a referral waiting in the session is recorded first."""
    if mission.kind not in COMPLETED_ON_THE_PAGE:
        raise MissionRefused("This mission completes by itself: there is nothing to send for it here.")
    if mission.kind == Kind.NEWSLETTER and not request.POST.get("consent"):
        raise MissionRefused("Tick the box to agree to the newsletter first.")
    answer = request.POST.get("answer", "")[:1000]
    code = remembered_referral(request, giveaway)
    arguments = {"participant": participant, "mission": mission, "facts": facts, "answer": answer, "at": at,
                 "user": request.user, "staff_or_member": getattr(participant, "staff_or_member", None)}
    if code is None:
        return giveaways.complete_mission(**arguments)
    # Before the first completion, so the friend's first counted entry credits the referrer. One
    # transaction: a refused completion takes the referral back with it, writing nothing.
    with transaction.atomic():
        giveaways.record_referral(giveaway=giveaway, friend=participant, code=code, at=at)
        completion = giveaways.complete_mission(**arguments)
    referrals = dict(request.session.get(REFERRAL_SESSION_KEY, {}))
    referrals.pop(str(giveaway.pk), None)
    request.session[REFERRAL_SESSION_KEY] = referrals
    return completion
