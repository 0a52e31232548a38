"""Which status a hulpvraag may get next: the SWV's status catalogue and its allowed transitions.

Pure rules over plain data. The catalogue is per SWV (tables ``status`` and ``statusovergang``, seeded from
the handbook in `gateway.store.status_seed`); the status page and `gateway.pipeline.status.change_status`
both ask `StatusCatalogue`, so a status outside the catalogue can neither be chosen nor be sent to a school
as terugkoppeling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verification.findings import Finding, fout

__all__ = ["MAX_STATUS_LENGTH", "StatusCatalogue", "clean_status"]

MAX_STATUS_LENGTH = 120


def clean_status(value: str) -> str:
    return " ".join(str(value).split())


@dataclass(frozen=True)
class StatusCatalogue:
    """``statuses``: name → closed (afgesloten), in the SWV's order; ``transitions``: allowed (van, naar)."""

    statuses: dict[str, bool]
    transitions: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def allowed_from(self, current: str) -> list[str]:
        """The statuses a hulpvraag in ``current`` may get next, in catalogue order.

        A current status the catalogue does not know (a status from before the catalogue) may move to any
        catalogue status; so may every status when the SWV has configured no transitions at all.
        """
        if current not in self.statuses or not self.transitions:
            return [name for name in self.statuses if name != current]
        targets = {naar for van, naar in self.transitions if van == current}
        return [name for name in self.statuses if name in targets]

    def check(self, current: str, new: str) -> Finding | None:
        """None when ``current`` → ``new`` is allowed, else the refusal (a Dutch sentence to act on)."""
        new = clean_status(new)
        if not new:
            return fout("STATUS_LEEG", "Kies een nieuwe status uit de lijst.", "status")
        if len(new) > MAX_STATUS_LENGTH or new not in self.statuses:
            shown = new if len(new) <= 60 else new[:59] + "…"
            return fout(
                "STATUS_ONBEKEND",
                f"De status '{shown}' staat niet in de statuslijst van het samenwerkingsverband. "
                "Kies een status uit de lijst.",
                "status",
            )
        if new == current:
            return fout("STATUS_ONGEWIJZIGD", f"De hulpvraag heeft de status '{new}' al.", "status")
        if new not in self.allowed_from(current):
            options = self.allowed_from(current)
            hint = (
                "Mogelijke vervolgstappen: " + "; ".join(options) + "."
                if options
                else "Vanuit deze status is geen vervolgstap mogelijk; dien een nieuwe hulpvraag in."
            )
            return fout(
                "STATUS_OVERGANG_NIET_TOEGESTAAN",
                f"Van '{current}' kan de status niet naar '{new}'. {hint}",
                "status",
            )
        return None

    def closed(self, name: str) -> bool:
        return self.statuses.get(name, False)
