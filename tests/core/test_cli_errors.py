"""Every CLI error names the file or setting and gives the reason in Dutch: never a traceback, ``None``, an
errno or an exception's repr. Each subcommand is run with a missing file, an unreadable file (a directory in
its place; the suite may run as root, for whom file modes do not stop reading) and a bad value."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest

from gateway.cli.main import build_parser, main
from gateway.os_errors import os_error_reason

# every subcommand, with otherwise valid arguments (what they would act on need not exist: settings come first)
SUBCOMMANDS: list[list[str]] = [
    ["serve"],
    ["db", "upgrade"],
    ["db", "seed"],
    ["demo", "--once"],
    ["koppelcheck", "14SS00"],
    ["registry", "list"],
    ["registry", "add-school", "14SS", "De Regenboog"],
    ["registry", "add-vestiging", "14SS00", "De Regenboog", "--gemeente", "Geldrop"],
    ["registry", "set-routering", "14SS00", "500"],
    ["osr", "sync"],
    ["codes", "list"],
    ["codes", "activate", "1"],
    ["codes", "revoke", "1"],
    ["users", "add", "PO3008", "jansen", "--rol", "secretariaat"],
    ["users", "list"],
    ["users", "unlock", "PO3008", "jansen"],
    ["users", "reset-totp", "PO3008", "jansen"],
    ["users", "totp", "PO3008", "jansen"],
    ["purge", "--dry-run"],
    ["blobs", "rekey", "--stil"],
]
# the subcommands that read a file they are given (besides the settings file)
FILE_COMMANDS: list[list[str]] = [
    ["dossier", "check"],
    ["registry", "import"],
    ["osr", "import"],
]
NOT_DUTCH = re.compile(r"Traceback|\bNone\b|Errno|\b\w+Error\b|No such file|Permission denied|Is a directory|invalid")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(tmp_path / "data"))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.err


def _assert_dutch(err: str, *named: str) -> None:
    """The error lines (log lines of a command that got as far as starting may come before them)."""
    lines = "\n".join(line for line in err.splitlines() if line.startswith(("fout:", "usage:")))
    assert lines, err
    assert not NOT_DUTCH.search(lines), lines
    for thing in named:
        assert thing in lines, (thing, lines)


def test_every_subcommand_is_listed_here() -> None:
    parser = build_parser()
    found: set[tuple[str, ...]] = set()

    def walk(p: object, prefix: tuple[str, ...]) -> None:
        subs = [a for a in getattr(p, "_actions", []) if isinstance(getattr(a, "choices", None), dict)]
        if not subs:
            found.add(prefix)
        for action in subs:
            for name, sub in action.choices.items():
                walk(sub, (*prefix, name))

    walk(parser, ())
    assert ("users", "totp") in found and len(found) >= 20
    for command in found:
        assert any(tuple(argv[: len(command)]) == command for argv in SUBCOMMANDS + FILE_COMMANDS), (
            f"add {' '.join(command)} to this test"
        )


@pytest.mark.parametrize("argv", SUBCOMMANDS + [c for c in FILE_COMMANDS if c[0] != "dossier"], ids=" ".join)
def test_a_missing_settings_file_is_named_with_its_reason(argv, tmp_path, capsys) -> None:
    missing = tmp_path / "bestaat-niet.toml"
    given = tmp_path / "invoer.csv"  # `dossier check` reads no settings; the others get an input file that exists
    given.write_text("school;dienst\n", encoding="utf-8")
    extra = [str(given)] if argv in FILE_COMMANDS else []
    code, err = _run(["--config", str(missing), *argv, *extra], capsys)
    assert code == 2
    _assert_dutch(err, str(missing), "niet gevonden")


@pytest.mark.parametrize("argv", SUBCOMMANDS, ids=" ".join)
def test_an_unreadable_settings_file_is_named_with_its_reason(argv, tmp_path, capsys) -> None:
    folder = tmp_path / "instellingen.toml"
    folder.mkdir()
    code, err = _run(["--config", str(folder), *argv], capsys)
    assert code == 2
    _assert_dutch(err, str(folder), "map")


@pytest.mark.parametrize("argv", SUBCOMMANDS, ids=" ".join)
def test_a_bad_setting_is_named_with_its_reason(argv, tmp_path, capsys, monkeypatch) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text('port = "acht"\n', encoding="utf-8")
    code, err = _run(["--config", str(config), *argv], capsys)
    assert code == 2
    _assert_dutch(err, "'port'", "acht", "geheel getal")
    monkeypatch.setenv("GATEWAY_WORKERS", "veel")
    code, err = _run(list(argv), capsys)
    assert code == 2
    _assert_dutch(err, "GATEWAY_WORKERS", "veel")


@pytest.mark.parametrize("argv", FILE_COMMANDS, ids=" ".join)
def test_a_missing_input_file_is_named_with_its_reason(argv, tmp_path, capsys) -> None:
    missing = tmp_path / "weg.csv"
    code, err = _run([*argv, str(missing)], capsys)
    assert code == 2
    _assert_dutch(err, str(missing), "bestaat niet")


@pytest.mark.parametrize("argv", FILE_COMMANDS, ids=" ".join)
def test_an_unreadable_input_file_is_named_with_its_reason(argv, tmp_path, capsys) -> None:
    folder = tmp_path / "map.csv"
    folder.mkdir()
    code, err = _run([*argv, str(folder)], capsys)
    assert code == 2
    _assert_dutch(err, str(folder), "map")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["dossier", "check", "--schema", "{dir}/geen.xsd", "{file}"], ["geen.xsd", "bestaat niet"]),
        (["dossier", "check", "--schema", "{file}", "{file}"], ["dossier.xml", "geen geldig XSD-schema"]),
        (["registry", "import", "{file}"], ["dossier.xml"]),
        (["osr", "import", "{file}"], ["dossier.xml"]),
        (["koppelcheck", "14SS"], ["14SS"]),
        (["codes", "activate", "een"], ["'een'", "geheel getal"]),
        (["users", "add", "PO3008", "jansen", "--rol", "directeur"], ["'directeur'", "kies uit"]),
        (["serve", "--role", "alles"], ["'alles'", "kies uit"]),
        (["demo", "--port", "acht"], ["--port", "'acht'"]),
        (["codes", "activate"], ["ontbreken", "id"]),
        (["serve", "--onbekend"], ["onbekende argumenten", "--onbekend"]),
        (["registry", "set-routering", "14SS00", "501", "--wissen"], ["niet samen met"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0] in ("dossier", "registry", "osr") else None,
)
def test_a_bad_value_is_named_with_its_reason(argv, named, tmp_path, capsys) -> None:
    file = tmp_path / "dossier.xml"
    file.write_text("<geen-csv-en-geen-dossier/>", encoding="utf-8")
    argv = [a.format(dir=tmp_path, file=file) for a in argv]
    code, err = _run(argv, capsys)
    assert code == 2, err
    _assert_dutch(err, *named)


@pytest.mark.parametrize(
    "number",
    [
        errno.ENOENT,
        errno.EACCES,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.ENAMETOOLONG,
        errno.ECONNREFUSED,
        errno.EBUSY,
        None,
    ],
)
def test_every_os_error_has_a_dutch_reason(number: int | None) -> None:
    exc = OSError(number, "English text") if number is not None else OSError("lxml says something")
    reason = os_error_reason(exc)
    assert reason and not NOT_DUTCH.search(reason) and "English" not in reason


@pytest.mark.parametrize(
    ("argv", "env", "named"),
    [
        (["serve", "--port", "1"], {"GATEWAY_TLS_CERT": "{pem}", "GATEWAY_TLS_KEY": "{pem}"}, ["'tls_cert'", "PEM"]),
        (
            ["koppelcheck", "14SS00", "--live"],
            {
                "GATEWAY_OSR__BASE_URL": "https://127.0.0.1:1",
                "GATEWAY_OSR__CERT_FILE": "{pem}",
                "GATEWAY_OSR__KEY_FILE": "{pem}",
            },
            ["clientcertificaat", "PEM"],
        ),
        (
            ["koppelcheck", "14SS00", "--live"],
            {
                "GATEWAY_OSR__BASE_URL": "https://127.0.0.1:1",
                "GATEWAY_OSR__CERT_FILE": "{pem}",
                "GATEWAY_OSR__KEY_FILE": "{pem}",
                "GATEWAY_OSR__CA_FILE": "{pem}",
            },
            ["CA-bestand", "PEM"],
        ),
        (["osr", "sync"], {"GATEWAY_OSR__MAX_ATTEMPTS": "[3]"}, ["max_attempts", "'[3]'"]),
    ],
    ids=["serve-certificate", "osr-certificate", "osr-ca", "osr-number"],
)
def test_an_unusable_certificate_or_adapter_setting_is_named_with_its_reason(
    argv, env, named, tmp_path, capsys, monkeypatch
) -> None:
    pem = tmp_path / "kapot.pem"
    pem.write_text("geen certificaat\n", encoding="utf-8")
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(pem=pem))
    code, err = _run(argv, capsys)
    assert code == 2, err
    _assert_dutch(err, *[n.format(pem=pem) for n in named])


@pytest.mark.parametrize(
    ("content", "named"),
    [(b"port 8080\n", ["regel 1", "geen geldige TOML"]), (b"port = \xff\n", ["geen UTF-8-tekst"])],
    ids=["not-toml", "not-utf8"],
)
def test_a_settings_file_that_is_no_toml_is_named_with_its_reason(content, named, tmp_path, capsys) -> None:
    config = tmp_path / "gateway.toml"
    config.write_bytes(content)
    code, err = _run(["--config", str(config), "db", "upgrade"], capsys)
    assert code == 2
    _assert_dutch(err, str(config), *named)


def test_the_demo_never_empties_a_directory_that_is_not_its_own(tmp_path, capsys) -> None:
    foreign = tmp_path / "mijn-documenten"
    foreign.mkdir()
    (foreign / "brief.txt").write_text("bewaren", encoding="utf-8")
    code, err = _run(["demo", "--once", "--port", "0", "--data-dir", str(foreign)], capsys)
    assert code == 2
    _assert_dutch(err, str(foreign), "niet leeg")
    assert (foreign / "brief.txt").read_text(encoding="utf-8") == "bewaren"
    code, err = _run(["demo", "--once", "--port", "0", "--data-dir", str(foreign / "brief.txt")], capsys)
    assert code == 2
    _assert_dutch(err, "brief.txt", "geen map")
