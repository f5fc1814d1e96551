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


def test_stable_members_lead_as_their_own_gzip_member_and_extract_the_same(tmp_path):
    """Dependencies compressed once per process: gzip(1), tar and tarfile read the two members as one stream."""
    import gzip
    import subprocess
    import zlib

    from slipstream.sourcedir import write_archive

    files = {}
    for name, size in (("deps/big.bin", 300_000), ("deps/small.py", 10), ("config.json", 20)):
        path = tmp_path / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(range(256)) * (size // 256) + name.encode())
        files[name] = path
    plain = write_archive(files, tmp_path / "plain.tar.gz")
    split = write_archive(files, tmp_path / "split.tar.gz", stable=["deps/big.bin", "deps/small.py", "not-in-files"])
    again = write_archive(files, tmp_path / "again.tar.gz", stable=["deps/big.bin", "deps/small.py"])
    assert split.read_bytes() == again.read_bytes() != plain.read_bytes()
    first = zlib.decompressobj(wbits=31)  # one gzip member: the stable files' tar blocks, then the rest's member
    leading = first.decompress(split.read_bytes())
    assert first.unused_data.startswith(b"\x1f\x8b") and b"config.json" not in leading and b"deps/big.bin" in leading
    assert gzip.decompress(split.read_bytes()).endswith(b"\0" * 1024)  # one tar stream, ended once
    for archive in (plain, split):
        out = tmp_path / archive.stem
        out.mkdir()
        subprocess.run(["tar", "-xzf", str(archive), "-C", str(out)], check=True)
        with tarfile.open(archive) as tar:
            assert sorted(tar.getnames()) == sorted(files)
        assert {name: (out / name).read_bytes() for name in files} == {n: p.read_bytes() for n, p in files.items()}
