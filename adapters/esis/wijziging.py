"""The ESIS wijziging (an update of a request already sent), decided in one place.

`EsisWijziging` is the ``amend`` of the draft the handler returns for an ``esis_wijziging`` exchange: the core
calls it inside the transaction that stores its answer, with the request as stored at that moment
(`gateway.pipeline.ports.requests`). So the decision — which documents are withdrawn, which re-sent ones are
not taken back, whether the omschrijving changed — and its effect are one step: nothing is decided on a state
that another exchange of the same request changed in between, and a failure stores nothing of it.

The rules: the request must be stored (while its first exchange is still on its way the update waits; when
that exchange ended without a hulpvraag the update is refused) and be of the code's vestiging. A document to
withdraw is found by SHA-256 or by name among the live ones (not found: a warning). A document that was
withdrawn before and is sent again is not added again (a warning: the secretariaat judges it). A changed
omschrijving keeps the previous one as a warning on the hulpvraag.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.esis.refusals import refusal
from gateway.errors import Refusal, Transient
from gateway.pipeline.contracts import BijlageDraft, HulpvraagDraft
from gateway.pipeline.ports.requests import RequestReads, StoredRequest
from verification.findings import Finding

__all__ = ["EsisWijziging", "Withdrawal"]

_SETTLED = ("geweigerd", "verwerkt")


@dataclass(frozen=True, slots=True)
class Withdrawal:
    sha256: str | None
    bestandsnaam: str | None


@dataclass(frozen=True, slots=True)
class EsisWijziging:
    swv_code: str
    brin6: str  # the vestiging of the code that sent the update
    request_key: str
    aanvraag_id: str
    first_exchange_key: str  # the key of the request's own (first) exchange
    external_keys: dict[str, str]
    omschrijving: str | None
    withdraw: tuple[Withdrawal, ...]
    documenten: tuple[BijlageDraft, ...]

    def __call__(self, stored: StoredRequest | None, reads: RequestReads) -> HulpvraagDraft:
        hv = self._the_request(stored, reads)
        notes: list[Finding] = []
        remove = self._withdrawn(hv, notes)
        documenten = self._new_documents(hv, set(remove), notes)
        if self.omschrijving is not None and self.omschrijving != hv.omschrijving:
            notes.append(refusal("ESIS_OMSCHRIJVING_GEWIJZIGD", "omschrijving", vorige=hv.omschrijving))
        return HulpvraagDraft(
            swv_code=self.swv_code,
            brin6=hv.brin6,
            pupil=hv.pupil,
            aanvraagtype=hv.aanvraagtype,
            omschrijving=self.omschrijving,
            source_system="esis",
            external_keys=dict(self.external_keys),
            bijlagen=documenten,
            remove_bijlagen=tuple(dict.fromkeys(remove)),
            findings=tuple(notes),
            request_key=self.request_key,
        )

    def _the_request(self, stored: StoredRequest | None, reads: RequestReads) -> StoredRequest:
        if stored is None:
            state = reads.exchange_state(self.first_exchange_key)
            if state is not None and state not in _SETTLED:
                raise Transient("de oorspronkelijke aanvraag is nog niet verwerkt", waiting_for="esis_aanvraag")
            raise Refusal([refusal("ESIS_AANVRAAG_NIET_VERWERKT", "aanvraag_id", aanvraag_id=self.aanvraag_id)])
        if stored.brin6 != self.brin6:
            raise Refusal([refusal("ESIS_VESTIGING_HOORT_NIET_BIJ_CODE", variant="wijziging")])
        return stored

    def _withdrawn(self, hv: StoredRequest, notes: list[Finding]) -> list[str]:
        """The SHA-256 of the live documents to withdraw; a warning for each one not found."""
        remove: list[str] = []
        live = hv.live_bijlagen
        for r in self.withdraw:
            hits = [b for b in live if (r.sha256 and b.sha256 == r.sha256) or b.bestandsnaam == r.bestandsnaam]
            if not hits:
                label = r.bestandsnaam or r.sha256
                notes.append(refusal("ESIS_DOCUMENT_NIET_GEVONDEN", "verwijder_documenten", naam=label))
            remove += [b.sha256 for b in hits]
        return remove

    def _new_documents(self, hv: StoredRequest, remove: set[str], notes: list[Finding]) -> tuple[BijlageDraft, ...]:
        """The documents to add: not those withdrawn before (or now), with a warning for each of those."""
        withdrawn = {b.sha256 for b in hv.bijlagen if b.removed} | remove
        kept: list[BijlageDraft] = []
        for d in self.documenten:
            if d.sha256 in withdrawn:
                notes.append(refusal("ESIS_DOCUMENT_EERDER_INGETROKKEN", "documenten", naam=d.bestandsnaam))
            else:
                kept.append(d)
        return tuple(kept)
