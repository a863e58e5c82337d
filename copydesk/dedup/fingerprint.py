"""Turn article text into a compact MinHash fingerprint with a name/number sketch."""

from __future__ import annotations

import hashlib
import operator
import re
import struct
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from copydesk.dedup.params import DedupParams

_TOKEN = re.compile(r"\w{1,40}")
#: "CDF3" (fingerprint version 6): the blob holds the quote flags after the lead signature
#: (since version 5) and the run signature after the name/number sketch.
_MAGIC = b"CDF3"
#: magic, num_perm, entity count, lead count, n_shingles, text hash, run signature count
_HEADER = struct.Struct("<4sHBBI16sB")
_MASK32 = np.uint64(0xFFFFFFFF)
_EMPTY_SIG = 0xFFFFFFFF
_EMPTY_LEAD = 0xFFFF
#: A run signature value of a text with no run of `run_words` words outside quotations.
EMPTY_RUN = 0xFFFFFFFF


@dataclass(frozen=True)
class Fingerprint:
    """A document's fingerprint; bytes fields keep it hashable, picklable and compact.

    `signature`: num_perm uint32 MinHash values (little endian). `n_shingles`: distinct shingles
    (for containment estimates). `entity_keys`/`entity_values`: bottom-k sketch of name/number
    occurrences keyed by their surrounding words (uint32 keys, uint8 token hashes). `lead`:
    lead_perm uint16 MinHash values of the first lead_shingles shingles (fingerprint version 4).
    `quoted`: num_perm bits (little-endian bit order); bit k is set when the shingle that gives
    signature value k occurs only inside quotations (fingerprint version 5, see `quote_mask`).
    `runs`: run_perm uint32 MinHash values of the runs of `run_words` words outside quotations
    (fingerprint version 6, see `run_signature`); stored with the blob, read back only for the
    pairs that reach the quotation check.
    """

    text_hash: str
    signature: bytes
    n_shingles: int
    entity_keys: bytes = b""
    entity_values: bytes = b""
    lead: bytes = b""
    quoted: bytes = b""
    runs: bytes = b""

    @property
    def sig(self) -> np.ndarray:
        return np.frombuffer(self.signature, dtype="<u4")

    @property
    def lead16(self) -> np.ndarray:
        return np.frombuffer(self.lead, dtype="<u2")

    @property
    def quote_flags(self) -> np.ndarray:
        """(num_perm,) bool: whether signature value k comes from a quoted-only shingle."""
        n = len(self.signature) // 4
        flags = np.unpackbits(np.frombuffer(self.quoted, np.uint8), bitorder="little")[:n]
        return np.zeros(n, bool) if len(flags) < n else flags.astype(bool)

    @property
    def run_sig(self) -> np.ndarray:
        return np.frombuffer(self.runs, dtype="<u4")

    @property
    def ent_keys(self) -> np.ndarray:
        return np.frombuffer(self.entity_keys, dtype="<u4")

    @property
    def ent_values(self) -> np.ndarray:
        return np.frombuffer(self.entity_values, dtype=np.uint8)

    def to_bytes(self) -> bytes:
        n_ent = len(self.entity_values)
        head = _HEADER.pack(
            _MAGIC,
            len(self.signature) // 4,
            n_ent,
            len(self.lead) // 2,
            self.n_shingles,
            bytes.fromhex(self.text_hash),
            len(self.runs) // 4,
        )
        quoted = self.quoted or bytes(len(self.signature) // 32)
        body = self.signature + self.lead + quoted + self.entity_keys + self.entity_values
        return head + body + self.runs

    @classmethod
    def from_bytes(cls, b: bytes) -> Fingerprint:
        if len(b) < _HEADER.size:
            raise ValueError("fingerprint blob too short")
        if b[:4] != _MAGIC:
            raise ValueError(OLD_BLOB.format(magic=b[:4]))
        _, num_perm, n_ent, n_lead, n_sh, th, n_run = _HEADER.unpack_from(b)
        o = _HEADER.size
        n_quoted = num_perm // 8
        expected = o + 4 * num_perm + 2 * n_lead + n_quoted + 5 * n_ent + 4 * n_run
        if len(b) != expected:
            raise ValueError(f"fingerprint blob has {len(b)} bytes, expected {expected}")
        sig = b[o : o + 4 * num_perm]
        o += 4 * num_perm
        lead = b[o : o + 2 * n_lead]
        o += 2 * n_lead
        quoted = b[o : o + n_quoted]
        o += n_quoted
        keys = b[o : o + 4 * n_ent]
        vals = b[o + 4 * n_ent : o + 5 * n_ent]
        runs = b[o + 5 * n_ent :]
        return cls(
            th.hex(), bytes(sig), n_sh, bytes(keys), bytes(vals), bytes(lead), bytes(quoted), runs
        )


#: What reading a blob of an older fingerprint version says (a corpus fingerprinted before
#: version 6 is re-fingerprinted by `copydesk recluster --rebuild`).
OLD_BLOB = (
    "not a version 6 copydesk fingerprint (magic {magic!r}); "
    "run `copydesk recluster --rebuild` to re-fingerprint the corpus"
)


@dataclass(frozen=True)
class Decoded:
    """Many fingerprint blobs decoded at once into columns (see `decode_many`)."""

    signatures: np.ndarray  # (n, num_perm) uint32
    n_shingles: np.ndarray  # (n,) uint32
    text_hash64: np.ndarray  # (n,) uint64: first 8 bytes of the text hash, big endian
    entity_len: np.ndarray  # (n,) uint8
    entity_keys: np.ndarray  # (n, entity_k) uint32, zero padded
    entity_values: np.ndarray  # (n, entity_k) uint8, zero padded
    runs: np.ndarray  # (n, run_perm) uint32: the run signature


def decode_many(
    blobs: Sequence[bytes], num_perm: int, entity_k: int, lead_perm: int, run_perm: int
) -> Decoded:
    """Decode fingerprint blobs in bulk: blobs of equal length become one numpy record array."""
    n = len(blobs)
    by_len: dict[int, list[int]] = {}
    for i, b in enumerate(blobs):
        by_len.setdefault(len(b), []).append(i)
    sig_bytes = 4 * num_perm + 2 * lead_perm + num_perm // 8
    out = Decoded(
        signatures=np.zeros((n, num_perm), np.uint32),
        n_shingles=np.zeros(n, np.uint32),
        text_hash64=np.zeros(n, np.uint64),
        entity_len=np.zeros(n, np.uint8),
        entity_keys=np.zeros((n, entity_k), np.uint32),
        entity_values=np.zeros((n, entity_k), np.uint8),
        runs=np.zeros((n, run_perm), np.uint32),
    )
    for length, members in by_len.items():
        k, extra = divmod(length - _HEADER.size - sig_bytes - 4 * run_perm, 5)
        if extra or not 0 <= k <= entity_k:
            raise ValueError(
                f"fingerprint blob of {length} bytes does not fit num_perm={num_perm}, "
                f"entity_k={entity_k}, run_perm={run_perm}; re-fingerprint with these params"
            )
        rows = np.array(members, np.int64)
        rec = np.frombuffer(b"".join([blobs[i] for i in members]), np.uint8).reshape(-1, length)
        _check_magic(rec)
        perms = rec[:, 4:6].copy().view("<u2")[:, 0]
        if (
            (perms != num_perm).any()
            or (rec[:, 6] != k).any()
            or (rec[:, 7] != lead_perm).any()
            or (rec[:, _HEADER.size - 1] != run_perm).any()
        ):
            raise ValueError(
                f"fingerprint header disagrees with num_perm={num_perm}, lead_perm={lead_perm}, "
                f"run_perm={run_perm}; re-fingerprint with these params"
            )
        o = _HEADER.size
        out.n_shingles[rows] = rec[:, 8:12].copy().view("<u4")[:, 0]
        out.text_hash64[rows] = rec[:, 12:20].copy().view(">u8")[:, 0]
        out.signatures[rows] = rec[:, o : o + 4 * num_perm].copy().view("<u4")
        o += sig_bytes
        out.entity_len[rows] = k
        if k:
            out.entity_keys[rows, :k] = rec[:, o : o + 4 * k].copy().view("<u4")
            out.entity_values[rows, :k] = rec[:, o + 4 * k : o + 5 * k]
        out.runs[rows] = rec[:, o + 5 * k :].copy().view("<u4")
    return out


def _check_magic(rec: np.ndarray) -> None:
    """Raise on blobs (rows of `rec`) that are not this fingerprint version's."""
    bad = np.flatnonzero(~(rec[:, :4] == np.frombuffer(_MAGIC, np.uint8)).all(axis=1))
    if len(bad):
        raise ValueError(OLD_BLOB.format(magic=rec[bad[0], :4].tobytes()))


def signature_prefix(num_perm: int, lead_perm: int) -> int:
    """Bytes of a blob's header, signature, lead signature and quote flags: all the dedup
    index keeps of a stored fingerprint (the name/number sketch that follows is read back from
    storage when needed)."""
    return _HEADER.size + 4 * num_perm + 2 * lead_perm + num_perm // 8


#: b-bit minwise hashing (Li & König): the dedup index keeps `SIG_BITS` low bits of each MinHash
#: value (the corpus keeps all 32) and, in the 16th bit, its quote flag.
SIG_BITS = 15
SIG_MASK = (1 << SIG_BITS) - 1
QUOTE_BIT = 1 << SIG_BITS


def pack16(sigs: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """uint16 values of uint32 MinHash values `sigs`: their low `SIG_BITS` bits, and the quote
    flag (`Fingerprint.quoted`) as the top bit."""
    low = (sigs & np.uint32(SIG_MASK)).astype(np.uint16)
    return low | (flags.astype(np.uint16) << np.uint16(SIG_BITS))


@dataclass(frozen=True)
class Signatures:
    """The signature part of many fingerprint blobs (see `decode_signatures`)."""

    sig16: np.ndarray  # (n, num_perm) uint16: see `pack16`
    lead16: np.ndarray  # (n, lead_perm) uint16: the lead signature
    n_shingles: np.ndarray  # (n,) uint32
    text_hash64: np.ndarray  # (n,) uint64: first 8 bytes of the text hash, big endian


def decode_signatures(blobs: Sequence[bytes], num_perm: int, lead_perm: int) -> Signatures:
    """Decode the header and signatures of blobs that are whole fingerprints or their first
    `signature_prefix(num_perm, lead_perm)` bytes (as `Corpus.fingerprint_batches(prefix)`
    reads them)."""
    width = signature_prefix(num_perm, lead_perm)
    lengths = set(map(len, blobs))
    if lengths == {width}:
        joined = b"".join(blobs)
    elif min(lengths, default=width) >= width:
        joined = b"".join(b[:width] for b in blobs)
    else:
        raise ValueError(
            f"a fingerprint blob is shorter than the {width} bytes num_perm={num_perm} and "
            f"lead_perm={lead_perm} need; "
            "re-fingerprint with these params"
        )
    rec = np.frombuffer(joined, np.uint8).reshape(len(blobs), width)
    _check_magic(rec)
    if (rec[:, 4:6].copy().view("<u2")[:, 0] != num_perm).any() or (rec[:, 7] != lead_perm).any():
        raise ValueError(
            f"fingerprint header disagrees with num_perm={num_perm}, lead_perm={lead_perm}; "
            "re-fingerprint with these params"
        )
    o = _HEADER.size + 4 * num_perm
    q = o + 2 * lead_perm
    flags = np.unpackbits(rec[:, q:width], axis=1, bitorder="little")[:, :num_perm]
    return Signatures(
        sig16=pack16(rec[:, _HEADER.size : o].copy().view("<u4"), flags.astype(bool)),
        lead16=rec[:, o:q].copy().view("<u2").astype(np.uint16),
        n_shingles=rec[:, 8:12].copy().view("<u4")[:, 0],
        text_hash64=rec[:, 12:20].copy().view(">u8")[:, 0].astype(np.uint64),
    )


@dataclass(frozen=True)
class _Coefs:
    char: np.ndarray  # per character position (40,)
    shingle: np.ndarray  # per shingle position (3,)
    context: np.ndarray  # per context position (4,)
    perm_a: np.ndarray  # (num_perm, 1)
    perm_b: np.ndarray  # (num_perm, 1)


def _odd_u64(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**63, size=n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


@lru_cache(maxsize=8)
def _coefs(num_perm: int, seed: int) -> _Coefs:
    rng = np.random.Generator(np.random.PCG64(seed))
    return _Coefs(
        char=_odd_u64(rng, 40),
        shingle=_odd_u64(rng, 3),
        context=_odd_u64(rng, 4),
        perm_a=_odd_u64(rng, num_perm).reshape(-1, 1),
        perm_b=rng.integers(0, 2**63, size=num_perm, dtype=np.uint64).reshape(-1, 1),
    )


@lru_cache(maxsize=8)
def _run_coefs(run_words: int, seed: int) -> np.ndarray:
    """(run_words,) odd multipliers of the word hashes in a run (version 6)."""
    return _odd_u64(np.random.Generator(np.random.PCG64([seed, run_words, 6])), run_words)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (in place on a fresh uint64 array)."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _token_hashes(tokens: list[str], c: _Coefs) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hash of each token and the code-point matrix (one row per token)."""
    mat = np.array(tokens)  # fixed-width unicode, padded with NUL
    width = mat.dtype.itemsize // 4
    cps = mat.view(np.uint32).reshape(len(tokens), width)
    h = cps.astype(np.uint64) @ c.char[:width] if width else np.zeros(len(tokens), np.uint64)
    return _mix(h), cps


_local = threading.local()


def _datasketch_minhash(num_perm: int, seed: int) -> MinHash:
    """This thread's datasketch MinHash (2.0 default `affine32` scheme), cleared per document.

    The shingles arrive already hashed to 32 bits, so `hashfunc` is the identity on ints.
    `clear()` costs ~20x less than `copy()` (which rebuilds the object around the permutations).
    """
    cache: dict[tuple[int, int], MinHash] = _local.__dict__.setdefault("minhash", {})
    m = cache.get((num_perm, seed))
    if m is None:
        m = MinHash(num_perm=num_perm, seed=seed, hashfunc=operator.index, scheme="affine32")
        cache[(num_perm, seed)] = m
    return m


def _signature(
    h64: np.ndarray, params: DedupParams, c: _Coefs, num_perm: int
) -> tuple[np.ndarray, np.ndarray]:
    """(distinct shingle hashes, `num_perm` MinHash values as little-endian uint32) from
    64-bit hashes."""
    if params.scheme == "datasketch-affine32":
        sh = np.unique(h64 >> np.uint64(32))
        m = _datasketch_minhash(num_perm, params.seed)
        m.clear()
        m.update_batch(sh.tolist())
        return sh, np.array(m.hashvalues, dtype="<u4")
    # "mulshift64" (copydesk 0.1): 64-bit multiply-shift over 64-bit shingle hashes; kept so the
    # benchmark can compare (`bench dedup --scheme mulshift64`).
    sh = np.unique(h64)
    v = sh[None, :] * c.perm_a[:num_perm]
    v += c.perm_b[:num_perm]
    return sh, (v.min(axis=1) >> np.uint64(32)).astype("<u4")


_SENTENCE_END = re.compile(r"[.!?\"”’:;)]\s*$")
#: A line of at least this many tokens is prose; one of at least `_PROSE_SHORT` is prose when
#: it ends like a sentence.
_PROSE_WORDS = 8
_PROSE_SHORT = 5


#: Quotation marks that open a quotation, and the marks that close it: English “…” and "…",
#: German „…“ (or „…”), French «…». A quotation left open at the end of a paragraph ends
#: there (the next paragraph of a long quotation opens again).
_CLOSERS = {"“": "”", '"': '"', "„": "“”", "«": "»"}
_MARKS = re.compile('[“”„«»"]')


def _quoted_tokens(line: str) -> np.ndarray:
    """(tokens of `line`,) bool: whether each token starts inside a quotation."""
    spans: list[int] = []  # start, end, start, end, ...
    closers = ""
    for m in _MARKS.finditer(line):
        ch = m.group()
        if not closers and ch in _CLOSERS:
            spans.append(m.end())
            closers = _CLOSERS[ch]
        elif closers and ch in closers:
            spans.append(m.start())
            closers = ""
    if closers:
        spans.append(len(line))
    starts = np.array([t.start() for t in _TOKEN.finditer(line)], np.int64)
    return np.searchsorted(np.array(spans, np.int64), starts, side="right") % 2 == 1


def _prose_lines(lines: list[list[str]], text_lines: list[str]) -> tuple[list[str], np.ndarray]:
    """The tokens of the prose lines (see `DedupParams.shingling`), in order, and whether each
    one is inside a quotation."""
    out: list[str] = []
    quoted: list[np.ndarray] = []
    for tokens, line in zip(lines, text_lines, strict=True):
        n = len(tokens)
        if n >= _PROSE_WORDS or (n >= _PROSE_SHORT and _SENTENCE_END.search(line)):
            out.extend(tokens)
            quoted.append(_quoted_tokens(line) if _MARKS.search(line) else np.zeros(n, bool))
    return out, np.concatenate(quoted) if quoted else np.zeros(0, bool)


def quote_mask(
    positions: np.ndarray, quoted: np.ndarray, sig: np.ndarray, params: DedupParams, c: _Coefs
) -> np.ndarray:
    """(num_perm,) bool: whether signature value k comes from a shingle that occurs only
    inside quotations (all its words quoted, and nowhere outside one).

    The MinHash of the quoted-only shingles takes the same permutations: where its value
    equals the whole text's, the minimum is a quoted-only shingle (shingles are disjoint).
    """
    inside = np.setdiff1d(positions[quoted], positions[~quoted])
    if len(inside) == 0:
        return np.zeros(params.num_perm, bool)
    _, sig_inside = _signature(inside, params, c, params.num_perm)
    return sig_inside == sig


def run_signature(th: np.ndarray, quoted: np.ndarray, params: DedupParams, c: _Coefs) -> np.ndarray:
    """(run_perm,) little-endian uint32: a MinHash of the runs of `run_words` consecutive prose
    words none of which is inside a quotation (`th`: the words' 64-bit hashes, `quoted`: whether
    each is quoted); all `EMPTY_RUN` when the text has no such run."""
    w = params.run_words
    m = len(th) - w + 1
    if m <= 0:
        return np.full(params.run_perm, EMPTY_RUN, dtype="<u4")
    in_quotes = np.concatenate([np.zeros(1, np.int64), np.cumsum(quoted, dtype=np.int64)])
    pure = in_quotes[w:] == in_quotes[:m]
    if not pure.any():
        return np.full(params.run_perm, EMPTY_RUN, dtype="<u4")
    coef = _run_coefs(w, params.seed)
    h = th[:m] * coef[0]
    for j in range(1, w):
        h += th[j : m + j] * coef[j]
    return _signature(_mix(h[pure]), params, c, params.run_perm)[1]


def share_run(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two run signatures (`run_signature`) agree on a value: the texts share a run of
    `run_words` words outside quotations (none is found when either text has no such run)."""
    return bool(((a == b) & (a != np.uint32(EMPTY_RUN))).any())


def fingerprint(text: str, params: DedupParams, title: str | None = None) -> Fingerprint:
    """Fingerprint clean article text; `title` is ignored on purpose (outlets rewrite headlines).

    The text hash covers every token; shingles and names come from the prose lines only.
    """
    del title
    c = _coefs(params.num_perm, params.seed)
    text = unicodedata.normalize("NFKC", text)
    if params.shingling == "word3-nfkc-lower-prose":
        text_lines = text.splitlines()
        lines = [_TOKEN.findall(line) for line in text_lines]
        all_low = [t.lower() for tokens in lines for t in tokens]
        orig_tokens, quoted = _prose_lines(lines, text_lines)
        low_tokens = [t.lower() for t in orig_tokens]
    else:  # version 2: every token, no quotation found
        all_low = _TOKEN.findall(text.lower())
        orig_tokens = _TOKEN.findall(text)
        if len(orig_tokens) != len(all_low):  # lower() changed a token's length (rare scripts)
            all_low = [t.lower() for t in orig_tokens]
        low_tokens = all_low
        quoted = np.zeros(len(low_tokens), bool)
    text_hash = hashlib.blake2b(" ".join(all_low).encode(), digest_size=16).hexdigest()
    n = len(low_tokens)
    if n == 0:
        sig = np.full(params.num_perm, _EMPTY_SIG, dtype="<u4")
        lead = np.full(params.lead_perm, _EMPTY_LEAD, dtype="<u2")
        runs = np.full(params.run_perm, EMPTY_RUN, dtype="<u4")
        return Fingerprint(
            text_hash,
            sig.tobytes(),
            0,
            lead=lead.tobytes(),
            quoted=bytes(params.num_perm // 8),
            runs=runs.tobytes(),
        )
    th, low_cps = _token_hashes(low_tokens, c)
    k = params.shingle_size
    if n >= k:
        sh = th[: n - k + 1] * c.shingle[0]
        in_quote = quoted[: n - k + 1].copy()
        for j in range(1, k):
            sh += th[j : n - k + 1 + j] * c.shingle[j]
            in_quote &= quoted[j : n - k + 1 + j]
    else:
        sh = (th * c.shingle[:n]).sum(keepdims=True, dtype=np.uint64)
        in_quote = np.full(1, bool(quoted.all()))
    positions = _mix(sh)
    sh, sig = _signature(positions, params, c, params.num_perm)
    flags = quote_mask(positions, in_quote, sig, params, c) if in_quote.any() else None
    # The lead: the first lead_shingles shingles in text order (a teaser's whole text).
    _, lead32 = _signature(positions[: params.lead_shingles], params, c, params.lead_perm)
    lead = lead32.astype("<u2")
    runs = run_signature(th, quoted, params, c)

    # Name/number sketch: occurrences of capitalised or digit-bearing tokens, keyed by the two
    # words on each side; the value is the token itself. Copies agree where contexts align.
    orig_cps = np.array(orig_tokens).view(np.uint32).reshape(n, -1)
    first_changed = orig_cps[:, 0] != low_cps[:, 0]
    has_digit = ((low_cps >= 48) & (low_cps <= 57)).any(axis=1)
    ent_pos = np.flatnonzero(first_changed | has_digit)
    keys = np.zeros(0, dtype="<u4")
    vals = np.zeros(0, dtype=np.uint8)
    if len(ent_pos):
        padded = np.concatenate([np.zeros(2, np.uint64), th, np.zeros(2, np.uint64)])
        p = ent_pos + 2
        ctx = padded[p - 2] * c.context[0]
        ctx += padded[p - 1] * c.context[1]
        ctx += padded[p + 1] * c.context[2]
        ctx += padded[p + 2] * c.context[3]
        ctx = _mix(ctx) >> np.uint64(32)
        val = th[ent_pos] & np.uint64(0xFF)
        order = np.lexsort((val, ctx))
        ctx, val = ctx[order], val[order]
        first = np.ones(len(ctx), dtype=bool)
        first[1:] = ctx[1:] != ctx[:-1]
        keys = ctx[first][: params.entity_k].astype("<u4")
        vals = val[first][: params.entity_k].astype(np.uint8)
    quoted_bits = bytes(params.num_perm // 8) if flags is None else _pack(flags)
    return Fingerprint(
        text_hash,
        sig.tobytes(),
        len(sh),
        keys.tobytes(),
        vals.tobytes(),
        lead.tobytes(),
        quoted_bits,
        runs.tobytes(),
    )


def _pack(flags: np.ndarray) -> bytes:
    return np.packbits(flags, bitorder="little").tobytes()
