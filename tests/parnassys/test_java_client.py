"""A stock Java JAX-WS (RI) client, as a partner builds it: ``wsimport`` from the served WSDL, mutual TLS, a
handler adding wsa:From (tests/parnassys/java/, documented in docs/partners/parnassys.md). Profile 2W-be:
the call is accepted with NotificatieOntvangen — no signed mustUnderstand header comes back to trip the client
— and a refusal reaches it as the typed fault ``Fout`` with the gateway's real code.

Needs Debian's ``default-jdk-headless`` and ``jaxws`` (wsimport); skipped without them, unless
``GATEWAY_TEST_REQUIRE_JAVA=1`` (CI sets it and installs both)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from adapters.parnassys.identity import SenderConfig
from tests.parnassys.conftest import DOEL_RK, GATEWAY_OIN, PLAIN_OIN, Pki, notificatie

JAVA_SOURCES = Path(__file__).with_name("java")
TOOLS = ("wsimport", "javac", "java", "keytool")
JARS = ("jaxws-rt", "jaxws-api", "jaxb-api", "jws-api", "javax.activation", "javax.xml.soap-api", "saaj-impl")
PASSWORD = "geheim-wachtwoord"


def _require_java() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    missing += [f"/usr/share/java/{jar}.jar" for jar in JARS if not Path(f"/usr/share/java/{jar}.jar").is_file()]
    if not missing:
        return
    reason = f"Java JAX-WS ontbreekt ({', '.join(missing)}): apt-get install default-jdk-headless jaxws"
    if os.environ.get("GATEWAY_TEST_REQUIRE_JAVA") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def run(*command: str, cwd: Path, env: dict[str, str] | None = None, ok: bool = True) -> str:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=180, env={**os.environ, **(env or {})}, check=False
    )
    if ok:
        assert result.returncode == 0, f"{command[0]}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
        return result.stdout
    assert result.returncode != 0, result.stdout[-3000:]
    return result.stdout + result.stderr


def key_and_trust_stores(pki: Pki, directory: Path, sender: str) -> tuple[Path, Path]:
    issued = getattr(pki, sender)
    keystore = directory / f"{sender}.p12"
    keystore.write_bytes(
        pkcs12.serialize_key_and_certificates(
            sender.encode(), issued.key, issued.cert, [pki.ca.cert], BestAvailableEncryption(PASSWORD.encode())
        )
    )
    truststore = directory / "trust.p12"
    if not truststore.exists():
        run(
            "keytool", "-importcert", "-noprompt", "-alias", "swv-ca", "-file", pki.ca_file,
            "-keystore", str(truststore), "-storetype", "PKCS12", "-storepass", PASSWORD,
            cwd=directory,
        )  # fmt: skip
    return keystore, truststore


def build_client(wsdl: str, directory: Path, truststore: Path) -> str:
    """wsimport from the served WSDL, then javac the generated code with the partner client."""
    src, classes = directory / "src", directory / "classes"
    src.mkdir()
    classes.mkdir()
    trust = f"-Djavax.net.ssl.trustStore={truststore} -Djavax.net.ssl.trustStorePassword={PASSWORD}"
    output = run(
        "wsimport", "-keep", "-Xnocompile", "-p", "nl.swv.oso", "-d", str(src), wsdl,
        cwd=directory, env={"WSIMPORT_OPTS": f"{trust} -Djavax.net.ssl.trustStoreType=PKCS12"},
    )  # fmt: skip
    assert "[WARNING]" not in output and "schemaLocation" not in output, output  # the types are inline
    classpath = ":".join(f"/usr/share/java/{jar}.jar" for jar in JARS)
    sources = [str(p) for p in src.rglob("*.java")] + [str(p) for p in JAVA_SOURCES.glob("*.java")]
    run("javac", "-nowarn", "-encoding", "UTF-8", "-cp", classpath, "-d", str(classes), *sources, cwd=directory)
    return f"{classes}:{classpath}"


def call(
    classpath: str, directory: Path, wsdl: str, keystore: Path, truststore: Path, *, ok: bool = True, **fields: str
) -> list[str]:
    values = notificatie(**fields)
    order = ("bronBrin", "bronRouteringsKenmerk", "doelBrin", "doelRouteringsKenmerk", "koppelsleutel", "doel")
    output = run(
        "java", "-cp", classpath, "PartnerClient", wsdl, str(keystore), PASSWORD, str(truststore), PASSWORD,
        PLAIN_OIN, GATEWAY_OIN, *(values[k] for k in order),
        cwd=directory, ok=ok,
    )  # fmt: skip
    if not ok:
        return output.splitlines()
    return [line for line in output.splitlines() if line.startswith(("RESULTAAT", "FOUT"))]


async def test_a_stock_jax_ws_client_is_accepted_gets_a_typed_fout_and_only_a_signed_reply_would_break_it(
    pki: Pki, start_gateway, tmp_path: Path
) -> None:
    _require_java()
    gw = await start_gateway()
    wsdl = f"{gw.url}?wsdl"
    keystore, truststore = await asyncio.to_thread(key_and_trust_stores, pki, tmp_path, "plain")
    classpath = await asyncio.to_thread(build_client, wsdl, tmp_path, truststore)

    accepted = await asyncio.to_thread(call, classpath, tmp_path, wsdl, keystore, truststore)
    refused = await asyncio.to_thread(call, classpath, tmp_path, wsdl, keystore, truststore, doel="LAS")

    assert accepted == ["RESULTAAT NotificatieOntvangen"]
    assert refused == ["FOUT NOTIFICATIE_DOEL_ONJUIST notificatieRequest/doel"]
    (stored,) = gw.inbox.puts
    assert stored.handoff.sender_oin == PLAIN_OIN and stored.handoff.sender_profile == "2W-be"
    assert stored.handoff.fields["doelRouteringsKenmerk"] == DOEL_RK
    assert len(gw.inbox.refusals) == 1  # the refusal of an identified sender is kept for the secretariaat

    # The same client against a gateway that signs its replies to this sender anyway (the old behaviour, or
    # [oso] senders … sign_replies = true): JAX-WS rejects the mustUnderstand Security header of a call that
    # was accepted — which is why replies follow the sender's profile.
    signing = await start_gateway(senders=(SenderConfig(PLAIN_OIN, "Leverancier 2W-be", "2W-be", sign_replies=True),))
    failed = await asyncio.to_thread(call, classpath, tmp_path, f"{signing.url}?wsdl", keystore, truststore, ok=False)
    assert any("MustUnderstand" in line or "mustUnderstand" in line for line in failed), failed[-20:]
    assert len(signing.inbox.puts) == 1  # accepted and stored, yet the client saw a failure
