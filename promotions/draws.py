"""Draws anyone can verify: a weighted pick of winners and alternates that the operator cannot steer.

The order of events is what makes a draw fair, so it is spelled out here and in
`docs/draws.md`:

1. When a round opens, `new_seed()` makes a secret seed and `commitment(seed)`
   (its SHA-256) is published. From then on the seed cannot be swapped.
2. At close the eligible entrants are frozen as (pseudonym, weight) rows and
   `entry_set_digest()` hashes their canonical encoding, which is also the
   exact content of the published entrants file (`write_entrants()`), so
   `sha256sum` of that file is the digest.
3. `draw()` gives every entrant a key from HMAC-SHA256(seed, digest:pseudonym)
   and keeps the largest keys (Efraimidis–Spirakis weighted sampling without
   replacement). The seed was fixed before anyone entered and is never shown
   before the draw, so neither entrants nor marketers can aim the result
   (docs/draws.md says what remains: someone reading the database early).
4. The seed is revealed; `verify()` (or the 15-line script in the docs) redoes
   every step from the published values alone.

Everything here is pure and database-free: later code loads per-participant
sums (never entry rows) and stores seed, digest, algorithm and result.
"""

import hashlib
import heapq
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter

ALGORITHM = "chorus-draw-1"
ALGORITHMS = (ALGORITHM,)

# Weights up to 2**53 convert to a float exactly, so `log(u) / weight` means the
# same on every machine; no round comes near it (weights are entry counts).
MAX_WEIGHT = 2**53

SEED_PATTERN = re.compile(r"[0-9a-fA-F]{64}")
DIGEST_PATTERN = re.compile(r"[0-9a-f]{64}")


def new_seed():
    """A fresh secret seed (32 random bytes as hex), made when a round opens and kept secret until its draw."""
    return secrets.token_hex(32)


def seed_bytes(seed):
    """The 32 bytes a seed stands for; case does not matter, anything else is refused."""
    if not isinstance(seed, str) or not SEED_PATTERN.fullmatch(seed):
        raise ValueError(
            "The seed must be 64 hexadecimal characters (32 bytes), as new_seed() makes; "
            f"got {seed!r}. Copy the revealed seed again, without spaces."
        )
    return bytes.fromhex(seed)


def commitment(seed):
    """SHA-256 (hex) of the seed's 32 bytes: published when a round opens, it pins the seed without revealing it."""
    return hashlib.sha256(seed_bytes(seed)).hexdigest()


def checked_entrant(pseudonym, weight):
    """The pseudonym as UTF-8 if the row can go into a draw, else ValueError saying what is wrong with it.

    Tabs and line breaks are refused because they would make the published
    file ambiguous; non-integer weights because a draw weight is a count of
    entries.
    """
    if not isinstance(pseudonym, str) or not pseudonym:
        raise ValueError(f"Every entrant needs a non-empty text pseudonym; got {pseudonym!r}.")
    if "\t" in pseudonym or "\n" in pseudonym or "\r" in pseudonym:
        raise ValueError(f"The pseudonym {pseudonym!r} contains a tab or a line break; pseudonyms must be one field.")
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise ValueError(f"The weight of {pseudonym!r} must be a whole number of entries; got {weight!r}.")
    if not 1 <= weight <= MAX_WEIGHT:
        raise ValueError(
            f"The weight of {pseudonym!r} must be between 1 and {MAX_WEIGHT} entries; got {weight}. "
            "Leave entrants with no entries out of the draw."
        )
    try:
        return pseudonym.encode()
    except UnicodeEncodeError:
        raise ValueError(f"The pseudonym {pseudonym!r} cannot be written as UTF-8.") from None


def rows_of(weights):
    """(pseudonym, weight) pairs from a mapping or from any iterable of pairs, without copying it."""
    return weights.items() if isinstance(weights, Mapping) else weights


def sorted_entrants(weights):
    """The rows as (pseudonym in UTF-8, weight), checked, in code-point order of pseudonym; ValueError for a repeat.

    Code-point order is the byte order of UTF-8 (`LC_ALL=C sort`), so anyone
    can rebuild it. Sorting holds the whole entry set in memory: O(entrants).
    """
    rows = [(checked_entrant(pseudonym, weight), weight) for pseudonym, weight in rows_of(weights)]
    rows.sort(key=itemgetter(0))  # by pseudonym alone: a repeat is refused below whatever its weights
    previous = None
    for encoded, _weight in rows:
        if encoded == previous:
            raise ValueError(
                f"The pseudonym {encoded.decode()!r} appears more than once; "
                "give each entrant one row with the sum of their entries."
            )
        previous = encoded
    return rows


def entrant_lines(weights):
    """The canonical encoding, one b"pseudonym\\tweight\\n" per entrant in code-point order of pseudonym."""
    for encoded, weight in sorted_entrants(weights):
        yield b"%s\t%d\n" % (encoded, weight)


# Lines hashed and written per call when a file is written: few calls, a bounded buffer (~250 KB).
LINES_PER_BLOCK = 10_000


def written_digest(rows, file=None):
    """SHA-256 (hex) of the canonical lines of sorted_entrants() `rows`, writing them to `file` if one is given."""
    sha = hashlib.sha256()
    for start in range(0, len(rows), LINES_PER_BLOCK):
        block = b"".join([b"%s\t%d\n" % row for row in rows[start:start + LINES_PER_BLOCK]])
        sha.update(block)
        if file is not None:
            file.write(block)
    return sha.hexdigest()


def entry_set_digest(weights):
    """SHA-256 (hex) of the canonical entrants file: it freezes who was in the draw and with what weight."""
    return written_digest(sorted_entrants(weights))


def write_entrants(*, weights, file):
    """Write the published entrants file to a binary `file`; returns its SHA-256, which is the entry-set digest."""
    return written_digest(sorted_entrants(weights), file)


def read_entrants(file):
    """The (pseudonym, weight) rows of a published entrants file (binary), refusing anything not canonical.

    Strict on purpose: a file this accepts always has a SHA-256 equal to
    `entry_set_digest()` of what it returns, so checking the file and checking
    the rows are the same check.
    """
    data = file.read()
    if not data:
        return []  # a round nobody entered
    if not data.endswith(b"\n"):
        raise ValueError("The entrants file must end with a line break after its last line.")
    rows = []
    previous = None
    for number, line in enumerate(data[:-1].split(b"\n"), start=1):
        pseudonym, tab, weight = line.partition(b"\t")
        if not pseudonym or not tab or not re.fullmatch(rb"[1-9][0-9]*", weight):
            raise ValueError(f"Line {number} of the entrants file is not 'pseudonym<TAB>weight': {line!r}.")
        if previous is not None and pseudonym <= previous:
            raise ValueError(f"Line {number} of the entrants file is out of order or repeats a pseudonym.")
        previous = pseudonym
        try:
            text = pseudonym.decode()
        except UnicodeDecodeError:
            raise ValueError(f"Line {number} of the entrants file is not UTF-8.") from None
        checked_entrant(text, int(weight))
        rows.append((text, int(weight)))
    return rows


def checked_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}; got {value!r}.")
    return value


def hmac_sha256_with(key, prefix=b""):
    """HMAC-SHA256 under one key, as a function of the message: the same bytes as
    `hmac.digest(key, prefix + message, "sha256")`.

    The draw runs one HMAC per entrant. Hashing the padded key once (RFC 2104)
    and copying those two states costs ~0.8 µs a message against ~2.2 µs for
    `hmac.digest()` on Python 3.11, most of a million-entrant draw. A `prefix`
    shared by every message (the draw's "digest:", 65 bytes) is hashed into the
    inner state once too, which saves one SHA-256 block a message.
    """
    inner, outer = hmac_sha256_states(key, prefix)

    def mac_of(message):
        inside = inner.copy()
        inside.update(message)
        result = outer.copy()
        result.update(inside.digest())
        return result.digest()

    return mac_of


def hmac_sha256_states(key, prefix=b""):
    """The inner SHA-256 state of HMAC-SHA256 under `key` after `prefix`, and the outer state (RFC 2104)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()  # RFC 2104: a key longer than the block is hashed first
    padded = key.ljust(64, b"\0")  # SHA-256's block; the seed's 32 bytes are shorter
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in padded))
    inner.update(prefix)
    return inner, hashlib.sha256(bytes(byte ^ 0x5C for byte in padded))


def checked_algorithm(algorithm):
    if algorithm not in ALGORITHMS:
        raise ValueError(f"Unknown draw algorithm {algorithm!r}; this version of Chorus runs {', '.join(ALGORITHMS)}.")


def draw(*, seed, digest, weights, winners, alternates, algorithm=ALGORITHM):
    """Winners then alternates, in order: a weighted pick without replacement, fixed by seed, digest and weights.

    Each entrant's key is log(u) / weight, u uniform in (0, 1) from
    HMAC-SHA256(seed, "digest:pseudonym"); the largest keys win, which gives
    each remaining entrant a chance in proportion to their weight at every
    place. Keys depend on the entrant alone, so input order cannot matter, and
    `heapq.nlargest` keeps only winners + alternates rows: memory does not
    grow with the entry set (a generator of millions of rows is fine).

    Duplicate pseudonyms are refused by `entry_set_digest()`, which the caller
    runs on the same rows; the draw itself can only see the places it keeps.
    """
    checked_algorithm(algorithm)
    key = seed_bytes(seed)
    if not isinstance(digest, str) or not DIGEST_PATTERN.fullmatch(digest):
        raise ValueError(
            f"The digest must be 64 lowercase hexadecimal characters, as entry_set_digest() makes; got {digest!r}."
        )
    places = checked_count("winners", winners, 1) + checked_count("alternates", alternates, 0)
    rows = ((checked_entrant(pseudonym, weight), weight) for pseudonym, weight in rows_of(weights))
    picked = largest_keys(key=key, digest=digest, rows=rows, places=places)
    if len(set(picked)) != len(picked):
        raise ValueError("A pseudonym appears more than once in the entrants; give each entrant one row.")
    return picked


def write_entrants_and_draw(*, weights, file, seed, winners, alternates, algorithm=ALGORITHM):
    """`write_entrants()`, then `draw()` over the rows it wrote, sorted and checked once: (digest, picked).

    The same digest and the same places as `draw(seed=seed, digest=write_entrants(weights=weights,
    file=file), weights=<the file read back>, …)`, without reading, parsing and checking the file again:
    the sorted rows the digest needs are already in memory, and they are all the draw needs.
    """
    checked_algorithm(algorithm)
    key = seed_bytes(seed)
    places = checked_count("winners", winners, 1) + checked_count("alternates", alternates, 0)
    rows = sorted_entrants(weights)  # no repeats: sorted_entrants() refuses them
    digest = written_digest(rows, file)
    return digest, largest_keys(key=key, digest=digest, rows=rows, places=places)


def largest_keys(*, key, digest, rows, places):
    """The pseudonyms (as text) of the `places` largest keys, largest first, from checked (UTF-8 pseudonym, weight)
    rows: the heart of `draw()`."""
    inner, outer = hmac_sha256_states(key, prefix=digest.encode() + b":")  # hmac_sha256_with(), inlined
    inner_copy, outer_copy, log, from_bytes = inner.copy, outer.copy, math.log, int.from_bytes

    def keyed():
        for encoded, weight in rows:
            inside = inner_copy()
            inside.update(encoded)
            mac = outer_copy()
            mac.update(inside.digest())
            # (n + 0.5) / 2**64 lies in (0, 1); in floating point the top 2**-54 of the
            # range rounds to 1.0, whose key 0 still sorts as the largest: never log(0).
            yield log((from_bytes(mac.digest()[:8], "big") + 0.5) / 2**64) / weight, encoded

    # Equal keys (equal weights and 53 equal bits of HMAC) fall back to the pseudonym, the later one first
    # (UTF-8 bytes sort as the code points of the text do).
    return [encoded.decode() for _, encoded in heapq.nlargest(places, keyed())]


@dataclass(frozen=True)
class Verification:
    """Each check of a draw on its own, so a page can say which one failed and why."""

    seed_matches_commitment: bool
    digest_matches_entrants: bool
    result_matches_rerun: bool
    problems: tuple[str, ...] = ()

    @property
    def ok(self):
        return self.seed_matches_commitment and self.digest_matches_entrants and self.result_matches_rerun


def check_seed(seed, commitment, problems):
    """Whether the revealed seed hashes to the published commitment; appends to `problems` why not."""
    try:
        matches = hashlib.sha256(seed_bytes(seed)).hexdigest() == str(commitment).lower()
    except ValueError as error:
        problems.append(str(error))
        return False
    if not matches:
        problems.append("The revealed seed does not hash to the commitment published when the round opened.")
    return matches


def verify(*, seed, commitment, digest, weights, result, winners, alternates, algorithm=ALGORITHM):
    """Re-run a published draw from its published values; never raises for bad data, it reports it.

    The three checks are independent: the commitment pins the seed, the digest
    pins the entrants, and the re-run (with the published digest) pins the
    result, so a tampered file, a swapped seed and an edited winners list each
    show up as their own failure.
    """
    problems = []
    rows = list(rows_of(weights))  # read twice (digest and re-run); the digest sorts them anyway

    seed_matches = check_seed(seed, commitment, problems)

    try:
        digest_matches = entry_set_digest(rows) == digest
    except ValueError as error:
        digest_matches = False
        problems.append(f"The entrants cannot be digested: {error}")
    else:
        if not digest_matches:
            problems.append("The entrants do not hash to the published digest: they differ from the frozen entry set.")

    try:
        rerun = draw(seed=seed, digest=digest, weights=rows, winners=winners, alternates=alternates,
                     algorithm=algorithm)
    except ValueError as error:
        result_matches = False
        problems.append(f"The draw cannot be re-run: {error}")
    else:
        result_matches = rerun == list(result)
        if not result_matches:
            problems.append("Re-running the draw gives other winners or alternates than the published result.")

    return Verification(seed_matches, digest_matches, result_matches, tuple(problems))
