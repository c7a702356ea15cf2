"""Thank-you e-mails to buyers: who is thanked, what the e-mail says, sending it once per order, opting out.

The rules (docs/thank-you.md):

- A sale is thanked by the account that owns the campaign its **last-touch** credit points to, when that
  account is active and its template (`ThankYouTemplate`) is switched on. A sale without last-touch credit is
  thanked by nobody.
- Only sales that occurred and were recorded within the last WINDOW (7 days), and recorded after the e-mail
  was last switched on (`ThankYouTemplate.enabled_at`, see `since_field`): switching it on never mails
  earlier buyers, and editing the text moves nothing.
- At most once per order: `ThankYouMessage` is unique per sale. The sweep decides every due sale in one
  transaction and INSERTs its row — "sent" for an e-mail it is about to send (the claim), "skipped" with the
  reason otherwise (no address, an unusable address, refunded in full, opted out) — with
  `ON CONFLICT DO NOTHING RETURNING`, so of two sweeps only the one whose INSERT wrote the row sends. The
  e-mails go after that transaction commits, never inside it. A mail server that fails turns the row to
  "failed"; the next sweep claims it back with a conditional UPDATE (failed → sent, RETURNING the rows it
  changed) and sends it again, re-checking what may have changed meanwhile (opt-out, refund, template off).
  A worker killed between the claim and the send loses that e-mail; it never sends one twice.
- Never to a customer who opted out: `MailOptOut` holds their normalised address
  (`promotions.identities.normalise_email`) and the time, nothing else.

Cost: a fixed number of queries per batch of BATCH sales, whatever its size (the due credits with their sale,
campaign, account and template; the referral members of those orders; the opt-outs; one INSERT; one UPDATE
for the failures), plus one e-mail per sale on one mail connection.

Templates are marketer text: only the known {placeholders} are replaced (never `str.format`, so
"{sale.__class__}" stays as it is written); the admin's form refuses unknown ones, naming them.
"""

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import connections, router, transaction
from django.db.models import Case, CharField, F, Value, When
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import BrandAccount
from attribution.models import Credit, MailOptOut, Model, Sale, ThankYouMessage, ThankYouTemplate
from common.addresses import absolute_url
from promotions.identities import normalise_email
from promotions.models import GroupMember

log = logging.getLogger(__name__)

Status = ThankYouMessage.Status

#: Sales older than this are never thanked, and failed e-mails are given up once their order is this old.
WINDOW = timedelta(days=7)
#: Sales decided per call, and failed e-mails retried per call. An e-mail waits on the mail server
#: (0.1–0.5 s), so a call stays well inside its job timeout; the next minute's sweep takes the rest.
BATCH = 200
#: The template is "switched on since" this field. Today the model has no `enabled_at`, so the last save
#: stands in for it: never earlier than the moment the e-mail was switched on, so it never mails older buyers.
since_field = "enabled_at"

OPT_OUT_SALT = "attribution.thanks.opt-out"
VARIABLES = ("account", "order", "campaign", "item", "referrer", "referrer_clause")
# Anything in single braces without spaces is a placeholder; only VARIABLES are ever replaced.
PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")

NO_EMAIL = "The sale has no e-mail address."
REFUNDED = "The order was refunded in full."
OPTED_OUT = "The customer asked for no thank-you e-mails."
SWITCHED_OFF = "The thank-you e-mail was switched off before it could be sent again."
NOT_CREDITED = "The sale is no longer credited to one of this account's campaigns."
GAVE_UP = "Given up: the mail server kept failing until the order was over 7 days old."

SAMPLE_VALUES = {"order": "1001", "campaign": "Spring sale", "item": "Gift box", "referrer": "Mina"}


@dataclass(frozen=True)
class Thanks:
    """One sale to thank and everything its e-mail says."""

    sale: Sale
    account: BrandAccount
    template: ThankYouTemplate | None
    campaign: str
    item: str
    referrer: str

    def values(self):
        return variables(account=self.account.name, order=self.sale.order_id, campaign=self.campaign,
                         item=self.item, referrer=self.referrer)


@dataclass(frozen=True)
class Outcome:
    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def __str__(self):
        return f"thank-you e-mails: {self.sent} sent, {self.skipped} not sent, {self.failed} failed"


@dataclass(frozen=True)
class Preview:
    sender: str
    to: str
    subject: str
    body: str
    sale: Sale | None  # None: sample values, the account has no credited sale yet


# --- the text ---

def variables(*, account, order, campaign, item, referrer):
    return {"account": account, "order": order, "campaign": campaign, "item": item, "referrer": referrer,
            "referrer_clause": f" through {referrer}" if referrer else ""}


def render(text, values):
    """`text` with each known {placeholder} replaced by its value; anything else in braces stays as written."""
    def fill(match):
        name = match.group(1)
        return values[name] if name in VARIABLES and name in values else match.group(0)

    return PLACEHOLDER.sub(fill, text)


def placeholder_problems(text):
    """What is wrong with the {placeholders} of `text`, in words a marketer can act on; "" when nothing is."""
    unknown = list(dict.fromkeys(match.group(0) for match in PLACEHOLDER.finditer(text)
                                 if match.group(1) not in VARIABLES))
    known = ", ".join(f"{{{name}}}" for name in VARIABLES)
    if unknown:
        return (f"Unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}. Use only {known}, "
                "spelt exactly so; other words in braces cannot be filled in.")
    if "{{" in text or "}}" in text:
        return f"Write variables with single braces, e.g. {{account}}. The variables are {known}."
    return ""


def sender_for(account):
    """The account's name over Chorus's sending address: customers see who thanks them."""
    name = " ".join(account.name.split())
    return formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def opt_out_token(sale):
    """The sale's id, signed (no time in it: an opt-out link works for as long as the e-mail is kept)."""
    return signing.Signer(salt=OPT_OUT_SALT).sign_object(sale.pk)


def opt_out_url(sale=None):
    """The opt-out link of a sale's e-mail; without a sale, an example (for previews: staff get no live link)."""
    token = opt_out_token(sale) if sale is not None else "example"
    return absolute_url(reverse("attribution:thanks-opt-out", args=[token]))


def email_text(*, template, values, account, url):
    """(subject, body) of the e-mail: the marketer's text, then the opt-out link."""
    subject = " ".join(render(template.subject, values).split())  # one line: a header cannot hold a newline
    body = render_to_string("attribution/email/thanks_message.txt",
                            {"text": render(template.body, values).strip(), "account": account, "opt_out_url": url})
    return subject, body


def build_email(thanks, *, connection=None):
    url = opt_out_url(thanks.sale)
    subject, body = email_text(template=thanks.template, values=thanks.values(), account=thanks.account, url=url)
    return EmailMessage(subject, body, sender_for(thanks.account), [thanks.sale.email], connection=connection,
                        headers={"List-Unsubscribe": f"<{url}>"})


# --- who is thanked ---

def last_touch_credits():
    """Last-touch credit rows with everything an e-mail needs: the sale, the campaign and its owner's template."""
    return (Credit.objects.filter(model=Model.LAST_TOUCH)
            .select_related("sale__source", "campaign__owner_account__thank_you"))


def due_credits(*, at):
    """The last-touch credit of each sale an account should now decide about (no message row yet), oldest first."""
    since = at - WINDOW
    return (last_touch_credits().filter(
        sale__occurred_at__gte=since, sale__recorded_at__gte=since, sale__recorded_at__lte=at,
        sale__thank_you__isnull=True, campaign__owner_account__active=True,
        campaign__owner_account__thank_you__enabled=True,
        sale__recorded_at__gt=F(f"campaign__owner_account__thank_you__{since_field}"))
        .order_by("sale__recorded_at", "sale_id"))


def first_name(participant):
    user = participant.user
    words = (user.name if user is not None else "").split()
    return words[0] if words else ""


def referrer_of(member):
    """The first name of whoever's link the buyer came through ("" for the founder's own order or no name)."""
    if member.generation == 0:
        return ""
    referrer = member.referred_by.participant if member.referred_by_id else member.group.founder
    if referrer.pk == member.participant_id:
        return ""  # bought through their own link
    return first_name(referrer)


def referral_facts(sales):
    """{(source key, order id): (item name, referrer's first name)} of the orders that joined a group (one query)."""
    if not sales:
        return {}
    members = (GroupMember.objects.filter(source__in={sale.source.key for sale in sales},
                                          order_reference__in={sale.order_id for sale in sales})
               .select_related("group__item", "group__founder__user", "referred_by__participant__user")
               .order_by("pk"))
    found = {}
    for member in members:
        found.setdefault((member.source, member.order_reference), (member.group.item.name, referrer_of(member)))
    return found


def first_sku(sale):
    line = sale.lines[0] if isinstance(sale.lines, list) and sale.lines else None
    return str(line.get("sku") or "") if isinstance(line, dict) else ""


def thanks_for(credits, *, template=None):
    """A Thanks per sale of `credits` (last-touch rows from last_touch_credits()); one query for the referral facts.

    `template` replaces the account's own (the admin's preview of unsaved text).
    """
    by_sale = {}
    for credit in credits:
        by_sale.setdefault(credit.sale_id, credit)
    facts = referral_facts([credit.sale for credit in by_sale.values()])
    found = []
    for credit in by_sale.values():
        sale, account = credit.sale, credit.campaign.owner_account
        item, referrer = facts.get((sale.source.key, sale.order_id), (first_sku(sale), ""))
        found.append(Thanks(sale=sale, account=account, campaign=credit.campaign.name, item=item, referrer=referrer,
                            template=template or getattr(account, "thank_you", None)))
    return found


def identity_of(email):
    """(normalised address, "") or ("", why the address cannot be used)."""
    try:
        validate_email(email)
        return normalise_email(email), ""
    except (ValidationError, ValueError) as error:
        words = error.messages[0] if isinstance(error, ValidationError) else str(error)
        return "", f"The e-mail address cannot be used: {words}"[:200]


def opted_out(identities):
    identities = set(filter(None, identities))
    if not identities:
        return set()
    return set(MailOptOut.objects.filter(identity__in=identities).values_list("identity", flat=True))


def decisions(thanks):
    """{sale id: (status, reason)} for each Thanks: SENT means "send it now"; one query for the opt-outs."""
    identities = {item.sale.pk: identity_of(item.sale.email) for item in thanks if item.sale.email}
    stopped = opted_out(identity for identity, _ in identities.values())
    decided = {}
    for item in thanks:
        sale = item.sale
        identity, problem = identities.get(sale.pk, ("", ""))
        if not sale.email:
            decided[sale.pk] = (Status.SKIPPED, NO_EMAIL)
        elif sale.refunded >= sale.gross:
            decided[sale.pk] = (Status.SKIPPED, REFUNDED)
        elif problem:
            decided[sale.pk] = (Status.SKIPPED, problem)
        elif identity in stopped:
            decided[sale.pk] = (Status.SKIPPED, OPTED_OUT)
        else:
            decided[sale.pk] = (Status.SENT, "")
    return decided


# --- the sweep ---

def send_due_thank_yous(*, at):
    """Decide every due sale (a batch), retry failed e-mails (a batch), then send; returns an Outcome.

    Call it outside a transaction (the job does): the e-mails go after the claims commit.
    """
    with transaction.atomic():
        new, skipped = claim_new(at=at)
    with transaction.atomic():
        retried, skipped_again = claim_failed(at=at)
    sent, failed, refused = send_claimed([*new, *retried], at=at)
    return Outcome(sent=sent, skipped=skipped + skipped_again + refused, failed=failed)


def claim_new(*, at):
    """Write the row of each due sale; (the Thanks this call claimed for sending, how many it skipped)."""
    thanks = thanks_for(due_credits(at=at)[:BATCH])
    decided = decisions(thanks)
    mine = insert_messages([(item.sale.pk, item.account.pk, *decided[item.sale.pk]) for item in thanks], at=at)
    claimed = [item for item in thanks if item.sale.pk in mine and decided[item.sale.pk][0] == Status.SENT]
    return claimed, sum(1 for sale_id in mine if decided[sale_id][0] == Status.SKIPPED)


def claim_failed(*, at):
    """Claim failed e-mails back for sending (failed → sent); (the Thanks to send, how many are now skipped)."""
    ThankYouMessage.objects.filter(status=Status.FAILED, sale__occurred_at__lt=at - WINDOW).update(
        status=Status.SKIPPED, reason=GAVE_UP, at=at)
    waiting = dict(ThankYouMessage.objects.filter(status=Status.FAILED).order_by("at", "pk")
                   .values_list("sale_id", "account_id")[:BATCH])
    mine = claim_messages(waiting, at=at)
    if not mine:
        return [], 0
    thanks = {item.sale.pk: item for item in thanks_for(last_touch_credits().filter(sale_id__in=mine))}
    decided = decisions(thanks.values())
    stopped, claimed = {}, []
    for sale_id in mine:
        item = thanks.get(sale_id)
        if item is None or item.account.pk != waiting[sale_id]:
            stopped[sale_id] = NOT_CREDITED
        elif item.template is None or not item.template.enabled or not item.account.active:
            stopped[sale_id] = SWITCHED_OFF
        elif decided[sale_id][0] != Status.SENT:
            stopped[sale_id] = decided[sale_id][1]
        else:
            claimed.append(item)
    record_outcomes({sale_id: (Status.SKIPPED, reason) for sale_id, reason in stopped.items()})
    return claimed, len(stopped)


def insert_messages(rows, *, at):
    """INSERT (sale id, account id, status, reason) rows at `at`, leaving alone every sale that has a row already
    (another sweep's): the sale ids whose row this call wrote. One statement, whatever the number of rows."""
    if not rows:
        return set()
    connection = connections[router.db_for_write(ThankYouMessage)]
    fields = [ThankYouMessage._meta.get_field(name) for name in ("sale", "account", "status", "reason", "at")]
    quote = connection.ops.quote_name
    sale_column = quote(fields[0].column)
    parameters = [field.get_db_prep_save(value, connection) for row in rows
                  for field, value in zip(fields, (*row, at), strict=True)]
    statement = (f"INSERT INTO {quote(ThankYouMessage._meta.db_table)} "  # noqa: S608 - names from the model
                 f"({', '.join(quote(field.column) for field in fields)}) "
                 f"VALUES {', '.join(['(' + ', '.join(['%s'] * len(fields)) + ')'] * len(rows))} "
                 f"ON CONFLICT ({sale_column}) DO NOTHING RETURNING {sale_column}")
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        return {row[0] for row in cursor.fetchall()}


def claim_messages(sale_ids, *, at):
    """failed → sent for these sales' rows; the sale ids this call changed (of two sweeps, only one gets each:
    PostgreSQL re-checks the condition on a row another transaction changed before updating it)."""
    if not sale_ids:
        return []
    connection = connections[router.db_for_write(ThankYouMessage)]
    quote = connection.ops.quote_name
    field = ThankYouMessage._meta.get_field("at")
    sale_column = quote(ThankYouMessage._meta.get_field("sale").column)
    statement = (f"UPDATE {quote(ThankYouMessage._meta.db_table)} "  # noqa: S608 - names from the model
                 f"SET {quote('status')} = %s, {quote('reason')} = '', {quote(field.column)} = %s "
                 f"WHERE {quote('status')} = %s AND {sale_column} IN ({', '.join(['%s'] * len(sale_ids))}) "
                 f"RETURNING {sale_column}")
    with connection.cursor() as cursor:
        cursor.execute(statement, [Status.SENT, field.get_db_prep_save(at, connection), Status.FAILED,
                                   *sale_ids])
        return [row[0] for row in cursor.fetchall()]


def record_outcomes(outcomes):
    """{sale id: (status, reason)} onto rows this sweep claimed (status sent): one UPDATE."""
    if not outcomes:
        return
    text = CharField()
    ThankYouMessage.objects.filter(sale_id__in=list(outcomes), status=Status.SENT).update(
        status=Case(*(When(sale_id=sale_id, then=Value(status)) for sale_id, (status, _) in outcomes.items()),
                    output_field=text),
        reason=Case(*(When(sale_id=sale_id, then=Value(reason[:200])) for sale_id, (_, reason) in outcomes.items()),
                    output_field=text))


def send_claimed(thanks, *, at):
    """Send each claimed e-mail on one mail connection; (sent, failed, refused). Failures are written in one UPDATE.

    A temporary failure (4xx, a dropped connection) leaves the row "failed" for the next sweep; a permanent
    refusal (5xx) makes it "skipped" with the server's words. Once the server stops answering, the rest of
    the batch is not tried (each try would wait for the timeout) and is left for the next sweep.
    """
    if not thanks:
        return 0, 0, 0
    outcomes = {}
    mail = get_connection()
    try:
        mail.open()
    except OSError as error:
        log.warning("The mail server could not be reached (%s): %s thank-you e-mails are tried again by the next "
                    "sweep.", error, len(thanks))
        outcomes = {item.sale.pk: (Status.FAILED, failure(error)) for item in thanks}
    else:
        try:
            for number, item in enumerate(thanks):
                try:
                    build_email(item, connection=mail).send()
                except (OSError, ValueError) as error:  # smtplib's errors are OSErrors; a refused header, ValueError
                    outcomes[item.sale.pk] = (Status.SKIPPED if permanent(error) else Status.FAILED, failure(error))
                    log.warning("The thank-you e-mail for sale %s was not sent: %s", item.sale.pk, error)
                    if not isinstance(error, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused
                                      | ValueError):
                        outcomes.update({later.sale.pk: (Status.FAILED, failure(error)) for later in thanks[number:]})
                        break
        finally:
            try:
                mail.close()
            except OSError:
                log.warning("Closing the mail connection failed; the e-mails it accepted are sent.", exc_info=True)
    record_outcomes(outcomes)
    failed = sum(1 for status, _ in outcomes.values() if status == Status.FAILED)
    refused = len(outcomes) - failed
    return len(thanks) - len(outcomes), failed, refused


def permanent(error):
    """Whether the mail server refused for good (5xx), so trying again cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, ValueError)  # a header the mail library refuses will be refused again


def failure(error):
    if permanent(error):
        return f"The mail server refused it: {error}"[:200]
    return f"The mail server failed ({type(error).__name__}: {error}); tried again by the next sweep."[:200]


# --- opting out ---

def sale_for_token(token):
    """The sale whose e-mail carried this opt-out token, or None for a token that is tampered with or unknown."""
    try:
        sale_id = signing.Signer(salt=OPT_OUT_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):  # tampered, or not even the shape of a token
        return None
    if not isinstance(sale_id, int) or isinstance(sale_id, bool):
        return None
    sale = Sale.objects.filter(pk=sale_id).exclude(email="").first()
    if sale is None or identity_of(sale.email)[1]:
        return None
    return sale


def thanking_account(sale):
    """The account whose thank-you e-mail carried the sale's link (the sale's own account if none was written)."""
    message = ThankYouMessage.objects.select_related("account").filter(sale=sale).first()
    return message.account if message is not None else sale.account


def has_opted_out(email):
    identity, problem = identity_of(email)
    return not problem and MailOptOut.objects.filter(identity=identity).exists()


def record_opt_out(*, email, at):
    """No more thank-you e-mails to this person (any spelling of the address); keeps only the key and the time.

    Idempotent: a second click (or two at once) keeps the first time.
    """
    identity = normalise_email(email)
    MailOptOut.objects.get_or_create(identity=identity, defaults={"at": at})
    return identity


# --- the admin's preview ---

def latest_credited(account):
    """The last-touch credit of the account's latest credited sale, or None (by sale id: the index's order)."""
    return last_touch_credits().filter(campaign__owner_account=account).order_by("-sale_id").first()


def preview(*, template, account):
    """The e-mail `template` (saved or not) would send for `account`'s latest credited sale, or for a sample."""
    credit = latest_credited(account)
    if credit is not None:
        (thanks,) = thanks_for([credit], template=template)
        values, sale, to = thanks.values(), credit.sale, credit.sale.email
    else:
        values, sale, to = variables(account=account.name, **SAMPLE_VALUES), None, "customer@example.com"
    subject, body = email_text(template=template, values=values, account=account, url=opt_out_url())
    return Preview(sender=sender_for(account), to=to, subject=subject, body=body, sale=sale)
