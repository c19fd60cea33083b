"""After a key rotation: seal every stored file again under the current master key, a batch at a time.

Every file is authenticated together with its whole header (which names the master key), so moving a
file to a new key means decrypting it and sealing it afresh (new data key, new header), then renaming
it over the old one. Readers see either version and the keyring opens both, so reads go on throughout.

Progress is kept in the database (runtime setting ``evidence_reseal``): the key being sealed to and the
last file looked at, so the walk resumes where it stopped, after a restart too, and starts again from
the beginning when the current key changes. Files that cannot be opened are counted and left alone;
they keep their old key from being retired until someone looks at them.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hotline.evidence.store import EvidenceNotFound, EvidenceStore
from hotline.models import Setting, put_setting, utcnow
from hotline.sealing.envelope import EvidenceCryptoError

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)

RESEAL_SETTING = "evidence_reseal"
BATCH = 200  # files sealed again per step; each step also looks at no more than 20 times as many


@dataclass
class Step:
    examined: int
    resealed: int
    damaged: int
    done: bool


def progress(app: Hotline) -> dict[str, Any]:
    """The walk as stored: target key, last file looked at, counts, when it started and finished."""
    with app.db.sessions() as session:
        row = session.get(Setting, RESEAL_SETTING)
        return dict(row.value) if row else {}


def _save(app: Hotline, state: dict[str, Any]) -> None:
    with app.db.session() as session:
        put_setting(session, RESEAL_SETTING, state)


def reseal_step(app: Hotline, limit: int = BATCH, restart: bool = False) -> Step:
    """One bounded batch of the walk; `restart` walks again from the first file."""
    keyring, store = app.keyring, app.evidence
    target = keyring.current
    with app.db.session() as session:
        # The few keys sealed in the database (audit chain, sealed columns) go first, all at once.
        app.vault.reseal(session)
    state = progress(app)
    if restart or state.get("target") != target.hex:
        if len(keyring.all_keys()) == 1 and not restart:
            return Step(0, 0, 0, done=True)  # one key: nothing can be sealed under another
        state = {"target": target.hex, "after": None, "resealed": 0, "damaged": 0,
                 "started_at": utcnow().isoformat(), "finished_at": None}
    elif state.get("finished_at"):
        return Step(0, 0, 0, done=True)
    step = Step(0, 0, 0, done=False)
    with store.maintenance():
        for relative in store.files(after=state["after"]):
            step.examined += 1
            state["after"] = relative
            _reseal_one(store, relative, target.id, step)
            if step.resealed >= limit or step.examined >= limit * 20:
                break
        else:
            step.done = True
            state["finished_at"] = utcnow().isoformat()
    state["resealed"] += step.resealed
    state["damaged"] += step.damaged
    _save(app, state)
    return step


def _reseal_one(store: EvidenceStore, relative: str, target: bytes, step: Step) -> None:
    try:
        if store.key_id_of(relative) == target:
            return
    except EvidenceNotFound:
        return  # purged since the walk listed it
    except EvidenceCryptoError:
        pass  # not even a readable header: counted below
    try:
        if store.reseal(relative):
            step.resealed += 1
    except (EvidenceCryptoError, EvidenceNotFound) as exc:
        step.damaged += 1
        log.warning("evidence file %s could not be sealed again: %s", relative, exc)


def reseal_all(app: Hotline, limit: int = BATCH, on_step: Any = None) -> Step:
    """Walk from the first file to the last now (what `hotline key reseal` does)."""
    total = Step(0, 0, 0, done=False)
    restart = True
    while not total.done:
        step = reseal_step(app, limit, restart=restart)
        restart = False
        total.examined += step.examined
        total.resealed += step.resealed
        total.damaged += step.damaged
        total.done = step.done
        if on_step is not None:
            on_step(total)
    return total


def sealed_in_database(app: Hotline) -> Counter[str]:
    """How many keys kept in the database (hotline.vault) each master key sealed."""
    with app.db.sessions() as session:
        return app.vault.key_usage(session)


def key_usage(store: EvidenceStore) -> tuple[Counter[str], int]:
    """How many stored files each master key (hex id) sealed, and how many files have no readable header."""
    counts: Counter[str] = Counter()
    unreadable = 0
    for relative in store.files():
        try:
            counts[store.key_id_of(relative).hex()] += 1
        except EvidenceNotFound:
            continue
        except EvidenceCryptoError:
            unreadable += 1
    return counts, unreadable


def reseal_job(app: Hotline) -> int:
    """The periodic job: one batch while a walk is under way, nothing otherwise."""
    step = reseal_step(app)
    return step.examined
