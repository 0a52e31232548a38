"""The SWV profile rules (Edustandaard "SWV-profielen" 2019.1, business rules PaO.*).

Each rule is written after the official validation of the SWV (PaO) profiles: same condition, same rule
identifier, a Dutch message that says what to change. As in the official validation, every rule except
PaO.MD01 and PaO.SO03 applies only once the dossier says it is an SWV dossier
(``overdrachtsoort`` = ``swv-dossier``); an ordinary transfer dossier is refused on PaO.SO03 alone.
"""

from __future__ import annotations

from verification.findings import Finding, fout

from ._tree import Element, child, children, descendants, has, is_true, path_below, path_of, q, text

__all__ = ["VALIDATIEVERSIE", "check_profile"]

VALIDATIEVERSIE = "2019.1.1"
SWV_DOSSIER = "swv-dossier"
OVERSTAP_SWV = ("POSWV", "VOSWV")

# Blocks a PO-SWV dossier may not carry (PaO.VM01..VM07), in rule order.
_VO_MBO_BLOCKS = (
    ("VM01", "bevorderd", "Bevorderd"),
    ("VM02", "examenresultaat", "Examens en uitslagen"),
    ("VM03", "resultaatvakkenvo", "VO vakresultaat"),
    ("VM04", "certificaat", "Certificaat"),
    ("VM05", "competenties", "Competentie"),
    ("VM06", "stage", "Stages"),
    ("VM07", "overigvombo", "Overige vo-mbo gegevens"),
)
# Pre-school data a VO-SWV dossier may not carry (PaO.VV01..VV04).
_VVE_FIELDS = (
    ("VV01", "vanpeuterspeelzaal", 'het veld "Afkomstig van PSZ"'),
    ("VV02", "naampeuterspeelzaal", 'het veld "Naam van PSZ"'),
    ("VV03", "voorschools", "het blok Voorschools"),
    ("VV04", "vroegschools", "het blok Vroegschools"),
)
_GEHEIM = q("geheim")
_GEHEIM_WAARDE = {"telefoon": "9999999999", "e-mail": "geheim@geheim.geheim"}


def _pao(rule: str, message: str, location: str) -> Finding:
    return fout(f"PaO.{rule}", message, location)


def check_profile(root: Element) -> list[Finding]:
    """All PaO.* findings for a dossier (``root`` is the ``dossier`` element)."""
    findings: list[Finding] = []
    metadata = child(root, "metadata")
    soort = text(root, "overdrachtsoort")
    findings += _metadata(root, metadata, soort)
    if soort != SWV_DOSSIER:
        return findings
    overstap = text(metadata, "overstap")
    school = child(root, "huidigeschool")
    if school is not None:
        findings += _school(school)
        leerling = child(school, "leerling")
        if leerling is not None:
            findings += _leerling(leerling, overstap)
            findings += _communicatie(root)
            for verzorger in children(leerling, "verzorger"):
                findings += _verzorger(verzorger)
    findings += _scores(root)
    return findings


def _metadata(root: Element, metadata: Element | None, soort: str | None) -> list[Finding]:
    out: list[Finding] = []

    def where(name: str) -> str:
        return f"{path_of(metadata) if metadata is not None else path_below(root, 'metadata')}/{name}"

    if text(metadata, "deeldossier") not in ("LAS", "LASLVS"):
        out.append(
            _pao(
                "MD01",
                "Het dossier moet een LAS-deel bevatten (deeldossier LAS of LASLVS), niet alleen LVS of TIB. "
                "Stuur het dossier opnieuw met de LAS-gegevens.",
                where("deeldossier"),
            )
        )
    if soort == SWV_DOSSIER:
        if text(metadata, "validatieversie") != VALIDATIEVERSIE:
            out.append(
                _pao(
                    "MD02",
                    f"De validatieversie moet {VALIDATIEVERSIE} zijn voor deze versie van de standaard. "
                    "Werk het leerlingadministratiesysteem bij of neem contact op met de leverancier.",
                    where("validatieversie"),
                )
            )
        if child(metadata, "categorie_uitlevering") is None:
            out.append(
                _pao(
                    "MD03",
                    'Een SWV-dossier moet het blok "categorie uitlevering" bevatten.',
                    where("categorie_uitlevering"),
                )
            )
        overstap = text(metadata, "overstap")
        if overstap is None:
            out.append(
                _pao(
                    "SO01",
                    "Een SWV-dossier moet de soort overstap bevatten (POSWV of VOSWV).",
                    where("overstap"),
                )
            )
        if overstap not in OVERSTAP_SWV:
            out.append(
                _pao(
                    "SO02",
                    'De soort overstap van een SWV-dossier moet "POSWV" of "VOSWV" zijn.',
                    where("overstap"),
                )
            )
    else:
        out.append(
            _pao(
                "SO03",
                'Dit is geen SWV-dossier: de soort overdracht moet "swv-dossier" zijn. Verstuur de '
                "aanvraag aan het samenwerkingsverband, niet als gewone overstap.",
                _location(root, "overdrachtsoort"),
            )
        )
    return out


def _location(parent: Element, name: str) -> str:
    found = child(parent, name)
    return path_of(found) if found is not None else path_below(parent, name)


def _school(school: Element) -> list[Finding]:
    out: list[Finding] = []
    if not has(school, "adreslijst/adres"):
        out.append(_pao("SL01", "Geef bij de school minimaal één adres op.", path_below(school, "adreslijst")))
    if not has(school, "communicatielijst/communicatie"):
        out.append(
            _pao(
                "SL02",
                "Geef bij de school minimaal één telefoonnummer of e-mailadres op.",
                path_below(school, "communicatielijst"),
            )
        )
    return out


def _forbidden(leerling: Element, name: str, rule: str, message: str) -> list[Finding]:
    return [_pao(rule, message, path_of(el)) for el in children(leerling, name)]


def _leerling(ll: Element, overstap: str | None) -> list[Finding]:
    return [
        *_leerling_identity(ll),
        *_leerling_address(ll, is_true(ll, "adresgeheim")),
        *_leerling_forbidden(ll, overstap),
        *_leerling_blocks(ll, overstap),
    ]


def _leerling_identity(ll: Element) -> list[Finding]:
    """PaO.LL01–LL04: names, date of birth (not the month), whether the address is secret."""
    out: list[Finding] = []
    if not children(ll, "voornaam"):
        out.append(_pao("LL01", "Geef bij de leerling minimaal één voornaam op.", path_below(ll, "voornaam")))
    if child(ll, "geboortedatum") is None:
        out.append(_pao("LL02", "Geef bij de leerling de geboortedatum op.", path_below(ll, "geboortedatum")))
    out += _forbidden(
        ll, "geboortemaand", "LL03", "Een SWV-dossier mag geen geboortemaand bevatten; geef de geboortedatum."
    )
    if child(ll, "adresgeheim") is None:
        out.append(
            _pao(
                "LL04", "Geef bij de leerling aan of het adres geheim is (adresgeheim).", path_below(ll, "adresgeheim")
            )
        )
    return out


def _leerling_address(ll: Element, geheim: bool) -> list[Finding]:
    """PaO.LL05–LL07, LL09: an address unless it is secret, none when it is; no postcode4 address."""
    out: list[Finding] = []
    has_adres = has(ll, "adreslijst/adres")
    has_buitenland = child(ll, "adresbuitenland") is not None
    if not geheim and not has_adres and not has_buitenland:
        out.append(
            _pao(
                "LL05",
                "Geef bij de leerling minimaal één Nederlands of buitenlands adres op (het adres is niet geheim).",
                path_below(ll, "adreslijst"),
            )
        )
    if geheim and has_adres:
        out.append(
            _pao(
                "LL06",
                "Het adres van de leerling is geheim: laat ieder leerlingadres weg uit het SWV-dossier.",
                path_below(ll, "adreslijst"),
            )
        )
    out += _forbidden(
        ll, "postcode4adres", "LL07", "Een SWV-dossier mag geen postcode4-adres van de leerling bevatten."
    )
    if geheim and has_buitenland:
        out.append(
            _pao(
                "LL09",
                "Het adres van de leerling is geheim: laat ook het buitenlandse adres weg.",
                path_below(ll, "adresbuitenland"),
            )
        )
    return out


def _leerling_forbidden(ll: Element, overstap: str | None) -> list[Finding]:
    """PaO.LL10–LL12 and the VVE fields of a VO-SWV dossier: what a SWV dossier may not carry."""
    out: list[Finding] = []
    out += _forbidden(ll, "geboorteplaats", "LL10", "Een SWV-dossier mag geen geboorteplaats van de leerling bevatten.")
    out += _forbidden(ll, "nationaliteit", "LL11", "Een SWV-dossier mag geen nationaliteit van de leerling bevatten.")
    for name in ("bsn", "onderwijsnummer"):
        out += _forbidden(
            ll,
            name,
            "LL12",
            "Een SWV-dossier mag geen BSN of onderwijsnummer bevatten. Het dossier is niet verwerkt en het "
            "nummer is niet bewaard; verstuur het dossier opnieuw zonder dit nummer.",
        )
    if overstap == "VOSWV":
        for rule, name, label in _VVE_FIELDS:
            out += _forbidden(ll, name, rule, f"Een VO-SWV-dossier mag {label} niet bevatten.")
    return out


def _leerling_blocks(ll: Element, overstap: str | None) -> list[Finding]:
    """The blocks under the pupil: schoolloopbaan, what a PO-SWV dossier leaves out, verzorgers, VIR/ZAT."""
    out: list[Finding] = []
    if not has(ll, "schoolloopbaanlijst/schoolloopbaan"):
        out.append(
            _pao(
                "SL01",
                "Geef bij de leerling minimaal één schoolloopbaan op.",
                path_below(ll, "schoolloopbaanlijst"),
            )
        )
    if overstap == "POSWV":
        out += _forbidden(
            ll,
            "eindtoets_basisonderwijs",
            "EB01",
            'Een PO-SWV-dossier mag het blok "Eindtoets basisonderwijs" niet bevatten.',
        )
        for rule, name, label in _VO_MBO_BLOCKS:
            out += _forbidden(ll, name, rule, f'Een PO-SWV-dossier mag het blok "{label}" niet bevatten.')
    if is_true(ll, "verzorgersaansprakelijk") and not children(ll, "verzorger"):
        out.append(
            _pao(
                "OV01",
                "De verzorgers zijn aansprakelijk: geef minimaal één verzorger op.",
                path_below(ll, "verzorger"),
            )
        )
    # PaO.ZB01/ZB02 were written for the VIR and ZAT blocks of the older 'zorg' block; 2019.1 no longer has
    # them (the schema refuses them too), but a dossier that carries them anyway is named by its rule.
    for name, rule, label in (("vir", "ZB01", "VIR (Verwijsindex)"), ("zat", "ZB02", "ZAT (Zorgadviesteam)")):
        for el in descendants(ll, name):
            out.append(_pao(rule, f"Een SWV-dossier mag geen gegevens over {label} bevatten.", path_of(el)))
    return out


def _communicatie(root: Element) -> list[Finding]:
    """PaO.LL08 / PaO.OV04: secret numbers and addresses are passed as the agreed mask values."""
    out: list[Finding] = []
    for comm in descendants(root, "communicatie"):
        geheim = next(comm.iterchildren(_GEHEIM), None)
        if geheim is None or (geheim.text or "").strip() not in ("true", "1"):  # is_true(comm, "geheim")
            continue
        soort = text(comm, "soort")
        mask = _GEHEIM_WAARDE.get(soort or "")
        if mask is None or text(comm, "nummer") == mask:
            continue
        parent = comm.getparent()
        owner = parent.getparent() if parent is not None else None
        rule = "OV04" if owner is not None and owner.tag.endswith("}verzorger") else "LL08"
        wat = "telefoonnummer" if soort == "telefoon" else "e-mailadres"
        out.append(
            _pao(
                rule,
                f"Een geheim {wat} moet als {mask} worden doorgegeven, niet als het echte {wat}.",
                path_of(comm),
            )
        )
    return out


def _verzorger(verzorger: Element) -> list[Finding]:
    out: list[Finding] = []
    if is_true(verzorger, "adresgeheim") and has(verzorger, "adreslijst/adres"):
        out.append(
            _pao(
                "OV03",
                "Het adres van de verzorger is geheim: laat ieder verzorgeradres weg uit het SWV-dossier.",
                path_below(verzorger, "adreslijst"),
            )
        )
    out += [
        _pao("OV05", "Een SWV-dossier mag geen banknummer van een verzorger bevatten.", path_of(el))
        for el in children(verzorger, "banknummer")
    ]
    return out


_SCORE_CHECKS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    (
        q("resultaat"),
        tuple(q(n) for n in ("toetsscore", "referentiescore", "document")),
        "TR01",
        "Een toetsresultaat moet minimaal een score, een referentiescore of een bijlage bevatten.",
    ),
    (
        q("toetsscore"),
        tuple(
            q(n) for n in ("aantalopgaven", "aantalgoed", "aantalfout", "aantalgelezen", "tijd", "vaardigheidsscore")
        ),
        "TR02",
        "Een toetsscore moet minimaal het aantal opgaven, goed, fout of gelezen, de tijd of de "
        "vaardigheidsscore bevatten.",
    ),
    (
        q("score"),
        tuple(q(n) for n in ("waarde", "kwalificatie")),
        "CL01",
        "Een score moet minimaal een waarde of een kwalificatie bevatten.",
    ),
)


def _scores(root: Element) -> list[Finding]:
    """PaO.TR01, PaO.TR02, PaO.CL01: a result, test score or grade says at least something. One walk over
    the tree; the findings come per rule, each in document order."""
    found: dict[str, list[Finding]] = {tag: [] for tag, *_ in _SCORE_CHECKS}
    checks = {tag: (needs, rule, message) for tag, needs, rule, message in _SCORE_CHECKS}
    for el in root.iter(*checks):
        needs, rule, message = checks[el.tag]
        if next(el.iterchildren(*needs), None) is None:
            found[el.tag].append(_pao(rule, message, path_of(el)))
    return [f for tag, *_ in _SCORE_CHECKS for f in found[tag]]
