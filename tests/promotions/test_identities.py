"""One person, one identity: which email spellings collapse, which must not, throwaway domains, pseudonyms."""

import re

import pytest
from disposable_email_domains import blocklist
from hypothesis import given, settings
from hypothesis import strategies as st

from promotions.identities import DISPOSABLE_DOMAINS, is_disposable, normalise_email, pseudonym, pseudonym_maker

SALT = "5f1c0a9e4b7d2c83a6e0f4b19d7c2e58"
OTHER_SALT = "0b9e6d3a7c1f48e2b5d09a6c3e7f1b24"

# --- normalise_email: one person -------------------------------------------------------------

SAME_PERSON = [
    # (what the person typed, the identity key)
    ("alice@gmail.com", "alice@gmail.com"),
    ("Alice@Gmail.com", "alice@gmail.com"),
    ("ALICE@GMAIL.COM", "alice@gmail.com"),
    ("  alice@gmail.com\n", "alice@gmail.com"),
    ("\talice@gmail.com\u00a0", "alice@gmail.com"),
    ("alice+giveaway@gmail.com", "alice@gmail.com"),
    ("alice+1+2@gmail.com", "alice@gmail.com"),
    ("alice+@gmail.com", "alice@gmail.com"),
    ("a.lice@gmail.com", "alice@gmail.com"),
    ("a.l.i.c.e@gmail.com", "alice@gmail.com"),
    ("A.Lice+x@gmail.com", "alice@gmail.com"),
    ("alice.+x@gmail.com", "alice@gmail.com"),
    ("alice@googlemail.com", "alice@gmail.com"),
    ("A.lice+spring@GoogleMail.com", "alice@gmail.com"),
    ("alice@gmail.com.", "alice@gmail.com"),
    ("alice@GMAIL.COM.", "alice@gmail.com"),
    ("alice@ｇｍａｉｌ．ｃｏｍ", "alice@gmail.com"),
    ("alice@gm\u200bail.com", "alice@gmail.com"),
    ("bob@example.com", "bob@example.com"),
    ("Bob@Example.COM", "bob@example.com"),
    ("bob+newsletter@example.com", "bob@example.com"),
    ("bob@example.com.", "bob@example.com"),
    ("bob@bücher.example", "bob@xn--bcher-kva.example"),
    ("bob@BÜCHER.example", "bob@xn--bcher-kva.example"),
    ("bob@xn--bcher-kva.example", "bob@xn--bcher-kva.example"),
    ("bob@XN--BCHER-KVA.EXAMPLE.", "bob@xn--bcher-kva.example"),
    ("bob@bücher。example", "bob@xn--bcher-kva.example"),
    ("Bob+tag@Bücher.Example.", "bob@xn--bcher-kva.example"),
    ("bob@straße.de", "bob@xn--strae-oqa.de"),
    ("bob@i❤.ws", "bob@xn--i-7iq.ws"),
    ("bob@☃.net", "bob@xn--n3h.net"),
    ("jean-pierre@orange.fr", "jean-pierre@orange.fr"),
    ("o'brien@example.ie", "o'brien@example.ie"),
]


@pytest.mark.parametrize(("typed", "identity"), SAME_PERSON)
def test_it_collapses_spellings_of_one_address_to_one_identity(typed, identity):
    assert normalise_email(typed) == identity


def test_it_gives_every_spelling_of_alice_one_identity():
    spellings = [typed for typed, identity in SAME_PERSON if identity == "alice@gmail.com"]
    assert len(spellings) >= 15
    assert {normalise_email(typed) for typed in spellings} == {"alice@gmail.com"}


# --- normalise_email: different people ------------------------------------------------------

DIFFERENT_PEOPLE = [
    # Dots are someone else's name everywhere but Gmail.
    ("j.smith@outlook.com", "js.mith@outlook.com"),
    ("j.smith@outlook.com", "jsmith@outlook.com"),
    ("a.lice@yahoo.com", "alice@yahoo.com"),
    ("a.lice@example.com", "alice@example.com"),
    # A Google Workspace domain is not gmail.com: dots count there.
    ("a.lice@alice-air.example", "alice@alice-air.example"),
    # Hyphens are part of real names; `-tag` is never dropped.
    ("jean-pierre@orange.fr", "jean@orange.fr"),
    ("ann-2@yahoo.com", "ann@yahoo.com"),
    # Same name, other provider, or a look-alike domain.
    ("alice@gmail.com", "alice@hotmail.com"),
    ("alice@gmail.com", "alice@gmail.co"),
    ("alice@gmail.com", "alice@mail.gmail.com"),
    ("alice@gmail.com", "alice@googlemail.co.uk"),
    ("bob@bücher.example", "bob@bucher.example"),
    ("bob@straße.de", "bob@strasse.de"),
    # `+x@` and `alice.+x@` keep their tag: nothing before it is a mailbox name.
    ("+x@example.com", "+y@example.com"),
    ("alice.+x@example.com", "alice@example.com"),
    # Other signs are part of the name.
    ("alice_b@example.com", "aliceb@example.com"),
    ("alice=b@example.com", "alice@example.com"),
]


@pytest.mark.parametrize(("one", "other"), DIFFERENT_PEOPLE)
def test_it_keeps_addresses_of_different_people_apart(one, other):
    assert normalise_email(one) != normalise_email(other)


# --- normalise_email: refusals ---------------------------------------------------------------

REFUSED = [
    (None, "empty"),
    ("", "empty"),
    ("   \n", "empty"),
    ("alice", "needs an @"),
    ("alice.gmail.com", "needs an @"),
    ("alice@@gmail.com", "exactly one @; this one has 2"),
    ("alice@bob@gmail.com", "exactly one @; this one has 2"),
    ('"alice"@gmail.com', "quotation marks"),
    ('"alice@bob"@gmail.com', "quotation marks"),
    ('"a b"@example.com', "quotation marks"),
    ("alice smith@gmail.com", "cannot contain spaces"),
    ("alice@gmail .com", "cannot contain spaces"),
    ("@gmail.com", "before the @ is missing"),
    ("alice@", "domain after the @ is missing"),
    (".alice@example.com", "cannot start or end with a dot"),
    ("alice.@example.com", "cannot start or end with a dot"),
    ("al..ice@example.com", "two dots in a row"),
    ("al(ice)@example.com", "may only use letters a-z"),
    ("alice\\b@example.com", "may only use letters a-z"),
    ("josé@example.com", "without accents"),
    ("ａｌｉｃｅ@example.com", "without accents"),
    ("alice@localhost", "not a full domain name"),
    ("alice@com.", "not a full domain name"),
    ("alice@[192.0.2.1]", "IP address"),
    ("alice@192.0.2.1", "IP address"),
    ("alice@example..com", "not a domain name that can receive email"),
    ("alice@-example.com", "not a domain name that can receive email"),
    ("alice@example-.com", "not a domain name that can receive email"),
    ("alice@exam_ple.com", "not a domain name that can receive email"),
    ("alice@example.com..", "not a domain name that can receive email"),
    ("alice@example.123", "not a domain name that can receive email"),
    ("alice@" + "a" * 64 + ".com", "not a domain name that can receive email"),
    ("a" * 65 + "@example.com", "longer than 64 characters"),
    ("alice@" + ".".join(["a" * 60] * 5) + ".com", "not a domain name that can receive email"),
    ("a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example", "longer than 254 characters"),
]


@pytest.mark.parametrize(("typed", "message"), REFUSED)
def test_it_refuses_what_is_not_an_email_address_and_says_what_to_fix(typed, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        normalise_email(typed)


def test_it_does_not_echo_the_name_before_the_at_in_its_messages():
    """Messages end up in logs; the domain helps the person fix a typo, their name adds nothing."""
    with pytest.raises(ValueError) as refused:
        normalise_email("secret.name@example..com")
    assert "secret" not in str(refused.value)
    assert "example..com" in str(refused.value)


# --- is_disposable ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "someone@mailinator.com",
    "someone@guerrillamail.com",
    "someone@yopmail.com",
    "someone@10minutemail.com",
    "someone@sharklasers.com",
    "Some.One+x@MAILINATOR.COM.",
    "someone@0-mailer.dynv6.net",
    "someone@yahóo.com",  # listed as xn--yaho-sqa.com
    "someone@世界.tv",  # listed as xn--rhqv96g.tv
    "someone@😭.abrdns.com",  # listed as xn--o38h.abrdns.com; only IDNA 2003 encodes it
])
def test_it_flags_addresses_at_listed_throwaway_domains(address):
    assert is_disposable(address)


@pytest.mark.parametrize("address", [
    "someone@inbox.mailinator.com",
    "someone@a.b.mailinator.com",
    "someone@x.yopmail.com",
    "someone@sub.0-mailer.dynv6.net",
])
def test_it_flags_subdomains_of_throwaway_domains(address):
    assert is_disposable(address)


@pytest.mark.parametrize("address", [
    "alice@gmail.com",
    "alice@googlemail.com",
    "alice@example.com",
    "alice@yahoo.com",
    "alice@outlook.com",
    "alice@bücher.example",
    # A parent of a listed domain is not flagged: dynv6.net hosts many people, a few of them throwaway services.
    "alice@dynv6.net",
    "alice@other.dynv6.net",
    # Only whole labels match.
    "alice@chorusmailinator.com",
    "alice@notyopmail.com",
    "alice@mailinator.co",
    "alice@mailinator.com.example",
])
def test_it_does_not_flag_ordinary_domains(address):
    assert not is_disposable(address)


def test_it_refuses_what_is_not_an_address_when_asked_about_throwaway_domains():
    with pytest.raises(ValueError, match="needs an @"):
        is_disposable("mailinator.com")


def test_it_reads_the_list_as_lower_case_ascii_domains():
    """The lookup compares ASCII keys with list entries as they are; a list release that changed its
    spelling would silently flag nothing, so this fails instead."""
    assert len(DISPOSABLE_DOMAINS) > 5_000
    assert isinstance(DISPOSABLE_DOMAINS, frozenset)
    for domain in blocklist:
        assert domain.isascii() and domain == domain.lower().strip() and not domain.endswith("."), domain
        assert "." in domain, f"{domain}: a bare top-level domain would flag everything under it"


# --- pseudonym -------------------------------------------------------------------------------


def test_it_gives_one_person_the_same_short_pseudonym_every_time():
    first = pseudonym(identity="alice@gmail.com", salt=SALT)
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert pseudonym(identity="alice@gmail.com", salt=SALT) == first
    assert pseudonym(identity="alice@gmail.com", salt=SALT.encode()) == first


def test_it_gives_every_spelling_of_an_address_one_pseudonym_through_its_identity():
    pseudonyms = {pseudonym(identity=normalise_email(typed), salt=SALT)
                  for typed, identity in SAME_PERSON if identity == "alice@gmail.com"}
    assert len(pseudonyms) == 1


def test_it_keeps_a_known_pseudonym_so_published_files_stay_verifiable():
    """HMAC-SHA256(salt, identity), first 16 hex characters; a change here breaks every published file."""
    assert pseudonym(identity="alice@gmail.com", salt=SALT) == "b40bf587b715562b"


def test_it_gives_the_same_person_another_pseudonym_in_another_giveaway():
    assert pseudonym(identity="alice@gmail.com", salt=SALT) != pseudonym(identity="alice@gmail.com", salt=OTHER_SALT)


def test_it_gives_different_people_different_pseudonyms():
    people = [f"person{number}@example.com" for number in range(2_000)]
    assert len({pseudonym(identity=person, salt=SALT) for person in people}) == len(people)


def test_it_does_not_reveal_the_email_in_the_pseudonym():
    assert "alice" not in pseudonym(identity="alice@gmail.com", salt=SALT)


@pytest.mark.parametrize("salt", ["", "short", b"fifteen bytes!!"])
def test_it_refuses_a_salt_too_short_to_keep_emails_secret(salt):
    with pytest.raises(ValueError, match="at least 16 bytes"):
        pseudonym(identity="alice@gmail.com", salt=salt)


def test_it_refuses_an_empty_identity():
    with pytest.raises(ValueError, match="identity"):
        pseudonym(identity="", salt=SALT)


def test_it_takes_its_arguments_by_keyword_only():
    with pytest.raises(TypeError):
        pseudonym("alice@gmail.com", SALT)


@pytest.mark.parametrize("salt", [SALT, SALT.encode(), "s" * 64, "long salt, longer than SHA-256's block " * 3,
                                  "sel d'été " * 2])
def test_the_pseudonym_maker_gives_exactly_what_pseudonym_gives(salt):
    pseudonym_of = pseudonym_maker(salt)
    identities = ["alice@gmail.com", "b@example.com", "x" * 64 + "@" + "y" * 60 + ".example", "ü@bücher.example"]
    assert [pseudonym_of(identity) for identity in identities] == [
        pseudonym(identity=identity, salt=salt) for identity in identities]
    assert pseudonym_maker(SALT)("alice@gmail.com") == "b40bf587b715562b"


def test_the_pseudonym_maker_refuses_what_pseudonym_refuses():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        pseudonym_maker("short")
    with pytest.raises(ValueError, match="identity"):
        pseudonym_maker(SALT)("")


# --- properties ------------------------------------------------------------------------------

ATOM_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
atoms = st.text(alphabet=ATOM_CHARACTERS, min_size=1, max_size=10)
local_parts = st.lists(atoms, min_size=1, max_size=4).map(".".join).filter(lambda local: len(local) <= 64)
ascii_labels = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", fullmatch=True)
unicode_labels = st.text(alphabet="abcxyzäöüéñçøåßσλжкÄÖÜÉЖ日本", min_size=1, max_size=8)
generated_domains = st.builds(lambda labels, tld: ".".join([*labels, tld]),
                              st.lists(st.one_of(ascii_labels, unicode_labels), min_size=1, max_size=3),
                              st.sampled_from(["com", "COM", "de", "example", "ws", "香港"]))
domains = st.one_of(
    st.sampled_from(["gmail.com", "GoogleMail.com", "ｇｍａｉｌ．com", "yahoo.com", "example.com", "bücher.example",
                     "straße.de", "i❤.ws", "😭.abrdns.com", "mailinator.com"]),
    generated_domains,
)
addresses = st.builds(lambda before, local, domain, root_dot, after: f"{before}{local}@{domain}{root_dot}{after}",
                      st.sampled_from(["", " ", "\t", "\n "]), local_parts, domains, st.sampled_from(["", "."]),
                      st.sampled_from(["", " ", "\r\n"]))


@settings(max_examples=500, deadline=None)
@given(address=addresses)
def test_normalising_an_identity_again_gives_it_back(address):
    identity = normalise_email(address)
    assert normalise_email(identity) == identity
    assert identity.isascii() and identity == identity.lower() and identity.count("@") == 1
    assert is_disposable(identity) == is_disposable(address)


gmail_names = st.from_regex(r"[a-z0-9]{6,20}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(name=gmail_names, data=st.data())
def test_every_gmail_spelling_of_a_name_collapses_to_it(name, data):
    dotted = "".join(character + data.draw(st.sampled_from(["", "", "."]), label="dot")
                     for character in name[:-1]) + name[-1]
    cased = "".join(character.upper() if data.draw(st.booleans(), label="upper") else character for character in dotted)
    tag = data.draw(st.sampled_from(["", "+"]) | st.builds("+{}".format, atoms), label="tag")
    domain = data.draw(st.sampled_from(["gmail.com", "googlemail.com", "GMAIL.com.", "GoogleMail.COM"]), label="domain")
    assert normalise_email(f"{cased}{tag}@{domain}") == f"{name}@gmail.com"
