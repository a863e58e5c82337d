"""The dedup index of a corpus: parameters checked, stored fingerprints loaded."""

from __future__ import annotations

from copydesk.dedup import Deduper, DedupParams, ParamsMismatch
from storage.clusters import PARAMS_KEY
from storage.corpus import Corpus, CorpusError

__all__ = ["open_deduper"]


def open_deduper(corpus: Corpus, params: DedupParams, window: int | None = None) -> Deduper:
    """A :class:`Deduper` holding every fingerprint stored in ``corpus`` (with a ``window`` in
    microseconds, those published within it of the newest stored article).

    The corpus records the dedup parameters on first use; fingerprints made with other
    parameters are refused (:class:`CorpusError` saying how to rebuild them).
    """
    stored = corpus.get_meta(PARAMS_KEY)
    if stored is None:
        corpus.set_meta(PARAMS_KEY, params.to_json())
    else:
        try:
            params.check_compatible(stored)
        except ParamsMismatch as exc:
            raise CorpusError(f"{corpus.path}: {exc}") from exc
    # Name/number sketches of stored articles are read back when a candidate needs them.
    deduper = Deduper(params, lookup=corpus.fingerprint, window=window)
    try:
        prefix = deduper.stored_prefix
        deduper.load_stored(
            corpus.read_ahead(Corpus.dedup_orders),
            lambda first: corpus.read_ahead(
                lambda c: c.fingerprint_batches(prefix, first_id=first)
            ),
        )
    except ValueError as exc:
        raise CorpusError(
            f"{corpus.path}: stored fingerprints are unreadable ({exc}); "
            "run `copydesk recluster --rebuild`"
        ) from exc
    return deduper
