"""sourcedir.tar.gz: flat, complete and byte-for-byte reproducible (a stable asset hash)."""

from __future__ import annotations

import tarfile

from cdk.shared.settings import PROJECT_ROOT
from slipstream.sourcedir import build_sourcedir, missing_scripts


def test_archive_is_reproducible_and_flat(tmp_path):
    first = build_sourcedir(PROJECT_ROOT, tmp_path / "a").read_bytes()
    second = build_sourcedir(PROJECT_ROOT, tmp_path / "b").read_bytes()
    assert first == second
    with tarfile.open(tmp_path / "a" / "sourcedir.tar.gz") as tar:
        names = tar.getnames()
        assert all("/" not in name for name in names)
        assert all(member.mtime == 0 and member.uid == 0 for member in tar.getmembers())
    assert "inference.py" in names and "train.py" in names


def test_archive_holds_every_script_the_jobs_run():
    assert missing_scripts(PROJECT_ROOT) == []


def test_archive_takes_only_python_files(tmp_path):
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "train.py").write_text("print('hi')\n")
    (tmp_path / "training" / "notes.md").write_text("not code\n")
    with tarfile.open(build_sourcedir(tmp_path, tmp_path / "out")) as tar:
        assert tar.getnames() == ["train.py"]
