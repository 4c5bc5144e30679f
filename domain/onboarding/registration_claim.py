"""Which NPO a registration id belongs to: a ``Claim`` on the normalised id.

A registration id identifies one live NPO. Lifecycle as every claim's
(``domain.claim``): claimed in the same save that creates the NPO, so of two
concurrent creations with one id the second fails on the event store's version check
and, decided again, is refused; moved when the NPO changes its registration id (the
new one claimed, the old one released, in one save); released when the NPO is
deleted, after which the next NPO to register the id reclaims it.

Two spellings are one registration when ``normalise_registration_id`` makes them
equal: registries print the same number with or without grouping spaces and hyphens
(``EIN-12-3456789``, ``ein 12 3456789``, ``EIN123456789``), and no registry we know
tells two ids apart by them. The function must never change: the claims' ids are
derived from its output.

NPOs recorded before claims existed hold none. The operator's backfill
(``ClaimRegistrationIds``, oldest NPO first) or the NPO's next profile change claims
its id if no live NPO holds it. An NPO whose id another live NPO holds keeps it and
keeps working, unclaimed: only a change to a *different* registration id is refused
when that one is taken.
"""

from __future__ import annotations

import unicodedata
from uuid import UUID, uuid5

from domain.base import ConflictError, InvalidFieldError
from domain.claim import Claim
from domain.onboarding.errors import RegistrationIdTakenError
from domain.onboarding.npo import Npo

_REGISTRATION_NAMESPACE = UUID("0d6c1f3e-5b7a-4c28-9e41-7a2f8d3b6c95")

# Left out when comparing: whitespace and line/paragraph separators, every dash
# (hyphen-minus, non-breaking hyphen, en dash...) and invisible format characters
# (zero-width space, soft hyphen).
_IGNORED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Pd", "Cf"})


def normalise_registration_id(registration_id: str) -> str:
    """The form in which two spellings of one registration id are equal.

    Compatibility-normalised (NFKC: full-width letters and digits are the ASCII
    ones), case-folded, and without any whitespace, dash or invisible format
    character anywhere (not only at the ends). Every other character (letters,
    digits, dots, slashes) is kept as it is. ``InvalidFieldError`` when nothing is
    left but punctuation.
    """
    folded = unicodedata.normalize(
        "NFKC", unicodedata.normalize("NFKC", registration_id).casefold()
    )
    kept = "".join(
        c
        for c in folded
        if not c.isspace() and unicodedata.category(c) not in _IGNORED_CATEGORIES
    )
    if not any(c.isalnum() for c in kept):
        raise InvalidFieldError("registration_id", "must contain letters or digits")
    return kept


class RegistrationClaim(Claim):
    """Which NPO a registration id belongs to; its holder is the NPO's id."""

    @classmethod
    def create(cls, registration_id: str, npo_id: UUID) -> RegistrationClaim:
        claim: RegistrationClaim = cls._create(
            cls.Claimed, id=cls.id_for(registration_id), holder=npo_id
        )
        return claim

    @staticmethod
    def id_for(registration_id: str) -> UUID:
        """The claim's id (``InvalidFieldError`` for an id without letters or
        digits)."""
        return uuid5(
            _REGISTRATION_NAMESPACE, normalise_registration_id(registration_id)
        )

    def taken(self) -> ConflictError:
        return RegistrationIdTakenError(None)


def claim_registration(
    claim: RegistrationClaim | None,
    holder: Npo | None,
    npo: Npo,
    actor_id: str,
) -> RegistrationClaim:
    """``npo``'s registration id claimed for it, by ``actor_id``.

    ``claim`` is the id's claim as stored (None: never claimed) and ``holder`` the
    NPO it names, if another. Refused (``RegistrationIdTakenError``) while another
    live NPO holds it, naming that NPO only to its members. A holder that no longer
    exists or was deleted without letting go has no hold: the claim is taken over.
    """
    if claim is None:
        return RegistrationClaim.create(npo.profile.registration_id, npo.id)
    if claim.holder is not None and claim.holder != npo.id:
        if holder is not None and holder.id == claim.holder and not holder.deleted:
            named = str(holder.id) if holder.is_member(actor_id) else None
            raise RegistrationIdTakenError(named)
        claim.release()
    claim.claim_for(npo.id)
    return claim
