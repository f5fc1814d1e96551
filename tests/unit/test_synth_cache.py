"""The session-shared cloud assembly: built once under a lock, whole or absent, keyed by every input."""

from __future__ import annotations

import pytest

from slipstream.local.stepfunctions import synth_cache


def test_the_second_caller_reads_what_the_first_built(tmp_path):
    calls = []

    def build(outdir):
        calls.append(outdir)
        (outdir / "stack.template.json").write_text("{}")
        return {"stage": "dev"}

    first = synth_cache.shared(tmp_path, "k", build)
    second = synth_cache.shared(tmp_path, "k", build)
    assert len(calls) == 1
    assert first == second == (tmp_path / "k", {"stage": "dev"})
    assert (tmp_path / "k" / "stack.template.json").is_file()


def test_a_failed_synthesis_leaves_nothing_a_later_caller_would_trust(tmp_path):
    def broken(outdir):
        (outdir / "half.json").write_text("{")
        raise RuntimeError("jsii died")

    with pytest.raises(RuntimeError):
        synth_cache.shared(tmp_path, "k", broken)
    assert not (tmp_path / "k").exists()
    outdir, metadata = synth_cache.shared(tmp_path, "k", lambda out: {"stage": "prod"})
    assert metadata == {"stage": "prod"} and not (outdir / "half.json").exists()


def test_the_key_changes_with_each_input():
    base = ("{}", "/repo", "dev", "abc")
    keys = {synth_cache.key(*base)}
    for index, other in enumerate(['{"name": "x"}', "/elsewhere", "prod", "abc-dirty"]):
        changed = list(base)
        changed[index] = other
        keys.add(synth_cache.key(*changed))
    assert len(keys) == 5


@pytest.mark.parametrize("folder", synth_cache.SOURCES)
def test_editing_any_bundled_source_is_a_new_key(tmp_path, monkeypatch, folder):
    monkeypatch.setattr(synth_cache, "REPO", tmp_path)
    (tmp_path / folder).mkdir()
    source = tmp_path / folder / "module.py"
    source.write_text("A = 1\n")
    digests = []
    for text in ("A = 1\n", "A = 2\n"):
        source.write_text(text)
        synth_cache.source_digest.cache_clear()
        digests.append(synth_cache.source_digest())
    synth_cache.source_digest.cache_clear()
    assert digests[0] != digests[1]
