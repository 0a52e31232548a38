"""The intake's certificate gate trusts a chain it verified again without building it anew — for at most five
minutes and never past the validity of its certificates; a refused chain is judged again every time."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.parnassys.identity import CertificateGate, SenderConfig
from adapters.parnassys.simulator.test_pki import ThrowAwayCA
from adapters.parnassys.soap import SoapRejected

OIN = "00000001234567890000"


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def pki() -> tuple[ThrowAwayCA, bytes]:
    ca = ThrowAwayCA()
    return ca, ca.issue_client(OIN).cert.public_bytes(serialization.Encoding.DER)


def _gate(ca: ThrowAwayCA, clock: Clock) -> tuple[CertificateGate, list[int]]:
    gate = CertificateGate(trust_store_pem=ca.cert_pem, senders=[SenderConfig(OIN, "leverancier")], clock=clock)
    built: list[int] = []
    verify = gate._verify_chain

    def counted(chain: list[x509.Certificate], now: dt.datetime) -> list[x509.Certificate]:
        built.append(1)
        return verify(chain, now)

    gate._verify_chain = counted  # type: ignore[method-assign]  # counting the builds of this gate only
    return gate, built


def test_a_verified_chain_is_built_again_after_five_minutes_only(pki: tuple[ThrowAwayCA, bytes]) -> None:
    ca, der = pki
    start = dt.datetime.now(dt.UTC)
    clock = Clock(start)
    gate, built = _gate(ca, clock)
    for minutes in (0, 1, 4.9):
        clock.at = start + dt.timedelta(minutes=minutes)
        assert gate.identify(peer_der=der, remote=None, headers={}).oin == OIN
    assert len(built) == 1
    clock.at = start + dt.timedelta(minutes=5.1)
    assert gate.identify(peer_der=der, remote=None, headers={}).oin == OIN
    assert len(built) == 2


def test_a_trusted_chain_is_refused_once_its_certificate_expired(pki: tuple[ThrowAwayCA, bytes]) -> None:
    ca, der = pki
    leaf_expires = ca.issue_client(OIN).cert.not_valid_after_utc  # issued alike: the same validity, to the second
    clock = Clock(leaf_expires - dt.timedelta(minutes=2))
    gate, _ = _gate(ca, clock)
    assert gate.identify(peer_der=der, remote=None, headers={}).oin == OIN
    clock.at += dt.timedelta(minutes=3)  # within five minutes of the check, but past the certificate's end
    with pytest.raises(SoapRejected) as refused:
        gate.identify(peer_der=der, remote=None, headers={})
    assert refused.value.finding.code == "TLS_CERTIFICAAT_NIET_VERTROUWD"


def test_a_refused_chain_is_judged_again_every_time(pki: tuple[ThrowAwayCA, bytes]) -> None:
    _, der = pki
    other = ThrowAwayCA("Another CA")
    gate, built = _gate(other, Clock(dt.datetime.now(dt.UTC)))
    for _ in range(3):
        with pytest.raises(SoapRejected):
            gate.identify(peer_der=der, remote=None, headers={})
    assert len(built) == 3
