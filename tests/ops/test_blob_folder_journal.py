"""`gateway serve` says at start-up when the local blob folder lies on ext4 without a journal (docs/deploy.md,
"[blobs]"), and says nothing when it cannot tell. The look-ups read a fake /proc and /sys here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from gateway.cli import serve
from gateway.settings import load_settings
from gateway.store.fs_journal import Mount, ext4_without_journal, mount_of

MOUNTINFO = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
40 27 254:16 / /srv/gateway rw,relatime - ext4 /dev/vdb rw
41 40 0:30 / /srv/gateway/tmp rw,relatime - tmpfs tmpfs rw
42 27 254:32 / /mnt/my\\040data rw,relatime shared:5 - xfs /dev/vdc rw
"""


def _fake_system(root: Path, *, journals: list[str] | None, mountinfo: str = MOUNTINFO) -> tuple[Path, Path]:
    proc, sys = root / "proc", root / "sys"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(mountinfo)
    if journals is not None:
        (proc / "fs" / "jbd2").mkdir(parents=True)
        for name in journals:
            (proc / "fs" / "jbd2" / name).mkdir()
    (sys / "dev" / "block").mkdir(parents=True)
    for numbers, name in (("254:0", "vda"), ("254:16", "vdb"), ("254:32", "vdc")):
        os.symlink(f"../../devices/pci0000:00/virtio/block/{name}", sys / "dev" / "block" / numbers)
    return proc, sys


def test_the_mount_of_a_folder_is_the_longest_mount_point_above_it() -> None:
    assert mount_of("/srv/gateway/data/blobs", MOUNTINFO) == Mount("/srv/gateway", "ext4", "254:16")
    assert mount_of("/srv/gateway/tmp/x", MOUNTINFO) == Mount("/srv/gateway/tmp", "tmpfs", "0:30")
    assert mount_of("/srv/gatewayx", MOUNTINFO) == Mount("/", "ext4", "254:0")  # a prefix of a name is not a parent
    assert mount_of("/mnt/my data/blobs", MOUNTINFO) == Mount("/mnt/my data", "xfs", "254:32")  # \040 is a space
    over = MOUNTINFO + "43 40 254:48 / /srv/gateway rw - xfs /dev/vdd rw\n"  # mounted over the first
    assert mount_of("/srv/gateway/data", over) == Mount("/srv/gateway", "xfs", "254:48")


@pytest.mark.parametrize(
    ("journals", "folder", "expected"),
    [
        (["vda-8"], "/srv/gateway/data/blobs", "vdb"),  # vdb has no journal
        (["vda-8", "vdb-8"], "/srv/gateway/data/blobs", None),
        (["vda-8"], "/data/blobs", None),  # the root file system has one
        ([], "/mnt/my data/blobs", None),  # XFS: not the question
        ([], "/srv/gateway/tmp/blobs", None),  # tmpfs
        (None, "/srv/gateway/data/blobs", None),  # no /proc/fs/jbd2 to read: cannot tell, no warning
    ],
)
def test_only_ext4_without_a_journal_is_named(
    tmp_path: Path, journals: list[str] | None, folder: str, expected: str | None
) -> None:
    proc, sys = _fake_system(tmp_path, journals=journals)
    assert ext4_without_journal(Path(folder), procfs=proc, sysfs=sys) == expected


def test_a_device_it_cannot_name_leaves_the_question_open(tmp_path: Path) -> None:
    proc, sys = _fake_system(tmp_path, journals=["vda-8"])
    (sys / "dev" / "block" / "254:16").unlink()
    assert ext4_without_journal(Path("/srv/gateway/data/blobs"), procfs=proc, sysfs=sys) is None
    assert ext4_without_journal(Path("/srv/gateway"), procfs=tmp_path / "no-proc", sysfs=sys) is None


def test_serve_warns_in_dutch_once_for_a_local_folder_without_a_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Path] = []

    def without_journal(folder: Path) -> str:
        asked.append(folder)
        return "vdb"

    monkeypatch.setattr(serve, "ext4_without_journal", without_journal)
    settings = load_settings(environ={}, data_dir=tmp_path / "data")
    with capture_logs() as logs:
        serve.warn_blob_folder_without_journal(settings)
    assert asked == [settings.effective_blob_dir]
    [warning] = [e for e in logs if e["event"] == "blobopslag_zonder_journal"]
    assert warning["log_level"] == "warning" and warning["apparaat"] == "vdb"
    assert "zonder journal" in warning["uitleg"] and "docs/deploy.md" in warning["uitleg"]


def test_serve_does_not_look_for_a_journal_under_s3_or_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Path] = []
    monkeypatch.setattr(serve, "ext4_without_journal", lambda folder: asked.append(folder))
    local = load_settings(environ={}, data_dir=tmp_path / "data")
    s3 = local.replace(sections={"blobs": {"backend": "s3", "bucket": "hulpvragen", "allow_plaintext": True}})
    with capture_logs() as logs:
        serve.warn_blob_folder_without_journal(s3)
        serve.warn_blob_folder_without_journal(local)  # the look-up answers None: a journal, or cannot tell
    assert asked == [local.effective_blob_dir]
    assert not [e for e in logs if e["event"] == "blobopslag_zonder_journal"]
