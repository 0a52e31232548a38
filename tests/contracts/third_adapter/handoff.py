"""The test double's hand-off (``derde_verzoek``): what its intake passes to its worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

KIND = "derde_verzoek"
SOURCE = "derde"


@dataclass(frozen=True, slots=True)
class DerdeVerzoek:
    version: ClassVar[int] = 2  # version 1 named the pupil's key "leerling"; both are read

    verzoek_id: str
    brin6: str
    leerlingid: str
    voornaam: str
    achternaam: str
    geboortedatum: dt.date
    wacht_eerst: bool = False  # the double's own source is "down" on the first attempt

    def stored(self) -> dict[str, Any]:
        return {
            "verzoek_id": self.verzoek_id,
            "brin6": self.brin6,
            "leerlingid": self.leerlingid,
            "voornaam": self.voornaam,
            "achternaam": self.achternaam,
            "geboortedatum": self.geboortedatum.isoformat(),
            "wacht_eerst": self.wacht_eerst,
        }

    @classmethod
    def from_stored(cls, data: Mapping[str, Any], version: int | None) -> Self:
        if version not in (None, 1, 2):
            raise ValueError(f"derde_verzoek hand-off version {version} is newer than this test double")
        return cls(
            verzoek_id=str(data["verzoek_id"]),
            brin6=str(data["brin6"]),
            leerlingid=str(data["leerlingid"] if version == 2 else data["leerling"]),
            voornaam=str(data["voornaam"]),
            achternaam=str(data["achternaam"]),
            geboortedatum=dt.date.fromisoformat(str(data["geboortedatum"])),
            wacht_eerst=bool(data.get("wacht_eerst", False)),
        )
