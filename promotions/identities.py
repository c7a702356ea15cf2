"""One person, one identity: the key that email variants collapse to, disposable domains, public pseudonyms.

A giveaway counts entries per person, across all of the brand's accounts, so
`alice+x@gmail.com`, `A.Lice@GoogleMail.com` and `alice@gmail.com` must be one
participant, and `alice@bücher.example` must be the same person as
`alice@xn--bcher-kva.example`. `normalise_email()` gives that key.

The key is an identity for fraud rules and one-entry-per-person, never an
address to send to: the address the person typed is kept for sending. That is
why the key may lower-case the part before the @ (RFC 5321 lets a server treat
`Alice` and `alice` as two mailboxes, but no provider people use does), and
why it may drop what a provider ignores when it delivers. The rules, from the
one that merges the most to the one that merges the least:

- `+tag` is dropped at every domain. Subaddressing (RFC 5233) is on by
  default at Gmail, Outlook.com, iCloud, Fastmail, Proton and on most
  self-hosted servers, and it is the cheapest way to enter many times. At a
  server where `+` is an ordinary character, two people `ann+bob@` and `ann@`
  would share a key; the cost of that rare merge is one polite "you have
  already entered", against unlimited entries the other way.
- dots before the @ are dropped, and googlemail.com becomes gmail.com, only at
  Gmail, which documents that it ignores dots. Everywhere else (Outlook,
  Yahoo, Google Workspace, company domains) `j.smith` and `js.mith` can be two
  people, so dots stay.
- `-tag` is never dropped. Hyphens are common in real names (`jean-pierre@`);
  the one large provider with `-` addresses (Yahoo's "disposable addresses")
  gives them a base name different from the account's own name, so dropping
  the tag would not even join them to the main address; velocity and cluster
  rules catch them instead.

Domains are compared in their ASCII (IDNA) form: IDNA 2008 with the UTS 46
mapping (what browsers and registries use; it also turns full-width letters
and `。` into ASCII), and the older IDNA 2003 rules only for the domains 2008
refuses, such as emoji domains, which Django's own email validator (2003)
accepts at sign-up. The key is always a valid ASCII address, so normalising a
key gives the key back.

Refused: what is not an address people use — no @ or several, quoted names
(`"a b"@example.com`), IP literals (`a@[192.0.2.1]`), domains without a dot,
characters outside RFC 5322's dot-atom, non-ASCII before the @ (RFC 6531
addresses, which Django's sign-up form refuses too). Every refusal is a
ValueError whose message says what to change.
"""

import hashlib
import hmac
import re
from encodings import idna as idna2003

import idna
from disposable_email_domains import allowlist, blocklist

GMAIL = "gmail.com"
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

# RFC 5322 dot-atom, ASCII only: atoms of atext joined by single dots.
ATOM_CHARACTERS = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
DOT_ATOM = re.compile(rf"[{ATOM_CHARACTERS}]+(?:\.[{ATOM_CHARACTERS}]+)*\Z")
# An ASCII host name label (RFC 1123), already lower-cased.
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")

# RFC 5321 limits: 64 before the @, 255 for the domain, 254 for the whole (a 256-character path
# minus its angle brackets); 253 is the longest domain written without its root dot.
MAX_LOCAL_PART = 64
MAX_DOMAIN = 253
MAX_ADDRESS = 254

EXAMPLE = "Enter an address like name@example.com."

# ~10,000 domains, built once per process at import (a few milliseconds). The maintained list's
# allowlist, empty today, wins over its blocklist, as upstream intends.
DISPOSABLE_DOMAINS = frozenset(blocklist) - frozenset(allowlist)


def normalise_email(address):
    """The identity key of `address`: one string for all the spellings one person can give.

    Raises ValueError, with a message a person can act on, for what is not an email address.
    """
    local_part, domain = split_address(address)
    if domain in GMAIL_DOMAINS:
        # Gmail delivers `a.lice` to `alice`; removing the dots first also turns `alice.+x` into `alice+x`.
        domain = GMAIL
        local_part = local_part.replace(".", "")
    base, plus, _tag = local_part.partition("+")
    # `+x@` and `alice.+x@` keep their tag: `` and `alice.` are not mailbox names, and a key must stay
    # a valid address so that normalising it again gives it back.
    if plus and DOT_ATOM.match(base):
        local_part = base
    return f"{local_part}@{domain}"


def split_address(address):
    """(local part lower-cased, domain in lower-case ASCII without a trailing dot), or ValueError."""
    if address is None or not address.strip():
        raise ValueError(f"The email address is empty. {EXAMPLE}")
    address = address.strip()
    if '"' in address:
        raise ValueError("Addresses with quotation marks are not accepted. Use an address without them, "
                         "like name@example.com.")
    if any(character.isspace() for character in address):
        raise ValueError(f"An email address cannot contain spaces. {EXAMPLE}")
    if "@" not in address:
        raise ValueError(f"An email address needs an @ between the name and the domain. {EXAMPLE}")
    if address.count("@") > 1:
        raise ValueError(f"An email address has exactly one @; this one has {address.count('@')}. {EXAMPLE}")
    local_part, domain = address.split("@")
    if not local_part:
        raise ValueError(f"The part before the @ is missing. {EXAMPLE}")
    if not local_part.isascii():
        raise ValueError("The part before the @ may only use unaccented letters a-z, digits and . _ + - "
                         "(and a few other signs). Use an address without accents or other scripts there.")
    if not DOT_ATOM.match(local_part):
        if local_part.startswith(".") or local_part.endswith(".") or ".." in local_part:
            raise ValueError("The part before the @ cannot start or end with a dot, or have two dots in a row. "
                             "Check the address for typing mistakes.")
        raise ValueError("The part before the @ may only use letters a-z, digits and . _ + - "
                         "(and !#$%&'*/=?^`{|}~). Check the address for typing mistakes.")
    if len(local_part) > MAX_LOCAL_PART:
        raise ValueError(f"The part before the @ is longer than {MAX_LOCAL_PART} characters, "
                         "which no mail server accepts. Check the address.")
    domain = ascii_domain(domain)
    if len(local_part) + 1 + len(domain) > MAX_ADDRESS:
        raise ValueError(f"The address is longer than {MAX_ADDRESS} characters, which no mail server accepts. "
                         "Check the address.")
    # Lower-casing the part before the @ is safe only because this is a key, not an address to send to.
    return local_part.lower(), domain


def ascii_domain(domain):
    """The domain after the @ in lower-case ASCII (IDNA), without its trailing dot; or ValueError."""
    if not domain:
        raise ValueError(f"The domain after the @ is missing. {EXAMPLE}")
    if domain.startswith("[") or domain.replace(".", "").isdigit():
        raise ValueError("Addresses at an IP address are not accepted. Use one with a domain name, "
                         "like name@example.com.")
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            try:
                domain = ".".join(idna2003.ToASCII(label).decode("ascii") if label else ""
                                  for label in idna2003.dots.split(domain))
            except UnicodeError:
                raise ValueError(f"“{domain}” is not a domain name that can receive email. "
                                 "Check the part after the @ for typing mistakes.") from None
    domain = domain.lower()
    if domain.endswith("."):
        # `gmail.com.` is the fully qualified spelling of `gmail.com`.
        domain = domain[:-1]
    labels = domain.split(".")
    if len(labels) < 2:
        raise ValueError(f"“{domain}” is not a full domain name. Enter the whole domain after the @, "
                         "like example.com.")
    if len(domain) > MAX_DOMAIN or not all(LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"“{domain}” is not a domain name that can receive email. "
                         "Check the part after the @ for typing mistakes.")
    return domain


def is_disposable(address):
    """True if `address` is at a throwaway-mailbox domain, or at a subdomain of one.

    Mailbox services hand out unlimited names under their domains (and some under any subdomain),
    so a subdomain of a listed domain is disposable too. The bare top-level domain is never looked
    up, so a bad list entry such as `com` cannot flag every address. Raises ValueError like
    normalise_email() for what is not an address.
    """
    _local_part, domain = split_address(address)
    labels = domain.split(".")
    return any(".".join(labels[start:]) in DISPOSABLE_DOMAINS for start in range(len(labels) - 1))


MIN_SALT_BYTES = 16
SHA256_BLOCK = 64  # bytes


def pseudonym(*, identity, salt):
    """A short stable public name for `identity` in one giveaway's published draw files.

    Anyone can re-run a draw from a file of pseudonyms and weights without learning who entered.
    HMAC-SHA256 keyed with the giveaway's own secret salt: the same person has the same pseudonym in
    every round of that giveaway (so their page can tell them which line is theirs), a different one
    in every other giveaway (files cannot be joined), and without the salt nobody can test a list of
    known emails against a file. The salt must therefore stay secret (it is not the draw seed, which
    is revealed) and long enough not to be guessed. 16 hex characters are 64 bits: the chance of two
    of a million entrants sharing one is about 3 in 100 million.

    Pass the key from normalise_email() as `identity`, so that every spelling of one address gets
    one pseudonym.
    """
    if not identity:
        raise ValueError("A pseudonym needs an identity; this one is empty.")
    return hmac.new(checked_salt(salt), identity.encode(), "sha256").hexdigest()[:16]


def checked_salt(salt):
    """The salt as bytes, or ValueError if it is too short to stay secret."""
    if isinstance(salt, str):
        salt = salt.encode()
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"The pseudonym salt must be at least {MIN_SALT_BYTES} bytes and secret; "
                         "generate one per giveaway with secrets.token_hex(16).")
    return salt


def pseudonym_maker(salt):
    """`pseudonym(identity=…, salt=salt)` as a function of the identity alone, for naming many people at once.

    The same HMAC-SHA256 (RFC 2104) with the key worked in once: the padded key's inner and outer SHA-256
    states are hashed here and copied for every identity, so a draw of 200,000 entrants does not re-check
    and re-key the salt 200,000 times (~1.2 µs an identity against ~2 µs). `pseudonym()` stays the
    definition; the tests hold the two to the same answers.
    """
    key = checked_salt(salt)
    if len(key) > SHA256_BLOCK:
        key = hashlib.sha256(key).digest()  # as HMAC does with a key longer than the hash's block
    padded = key.ljust(SHA256_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in padded))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in padded))

    def pseudonym_of(identity):
        if not identity:
            raise ValueError("A pseudonym needs an identity; this one is empty.")
        inside = inner.copy()
        inside.update(identity.encode())
        mac = outer.copy()
        mac.update(inside.digest())
        return mac.digest()[:8].hex()

    return pseudonym_of
