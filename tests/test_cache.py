"""The execution cache: keys that see every input, entries that are whole or ignored."""

from __future__ import annotations

import json

import pytest

from moatbook.build.cache import ChapterCache, Entry, atomic_write, chapter_key


def executed(text: str = "shown") -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# A chapter"},
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": text}],
                "source": "print('shown')",
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def entry(key: str = "a" * 64, **kw) -> Entry:
    return Entry(key, "intro", "acme", kw.pop("notebook", executed()), {"scores.json": "{}"}, 0.5, **kw)


def test_an_entry_comes_back_as_written(tmp_path):
    cache = ChapterCache(tmp_path)
    cache.put(entry())
    got = cache.get("a" * 64)
    assert got is not None and got.notebook == executed() and got.files == {"scores.json": "{}"}
    assert cache.get("b" * 64) is None
    assert not list(tmp_path.rglob("*.tmp"))  # nothing half-written is left lying around


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # a partial write
        lambda raw: raw.replace(b"shown", b"shewn"),  # a changed byte: the checksum no longer matches
        lambda raw: b"not json\n" + raw,  # a foreign file
        lambda raw: raw.replace(b'"format": 2', b'"format": 1'),  # an older format
    ],
)
def test_a_damaged_entry_is_ignored_and_removed(tmp_path, damage):
    cache = ChapterCache(tmp_path)
    path = cache.put(entry())
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get("a" * 64) is None
    assert not path.exists() and cache.rejected


def test_an_entry_under_the_wrong_key_is_ignored(tmp_path):
    cache = ChapterCache(tmp_path)
    path = cache.put(entry())
    other = cache.path("c" * 64)
    other.parent.mkdir(parents=True, exist_ok=True)
    path.rename(other)
    assert cache.get("c" * 64) is None and "another key" in cache.rejected[0]


@pytest.mark.parametrize("problem", ["unexecuted", "error"])
def test_an_incomplete_notebook_is_never_reused(tmp_path, problem):
    nb = executed()
    if problem == "unexecuted":
        nb["cells"][1]["execution_count"] = None
    else:
        nb["cells"][1]["outputs"] = [{"output_type": "error", "ename": "E", "evalue": "", "traceback": []}]
    cache = ChapterCache(tmp_path)
    cache.put(entry(notebook=nb))
    assert cache.get("a" * 64) is None


def test_the_key_changes_with_every_input():
    base = dict(source=b"chapter", parameters={"company": "acme"}, inputs_fingerprint="data1", code="code1")
    key = chapter_key(**base)
    assert chapter_key(**base) == key
    for change in (
        {"source": b"chapter, edited"},
        {"parameters": {"company": "globex"}},
        {"inputs_fingerprint": "data2"},
        {"code": "code2"},
    ):
        assert chapter_key(**{**base, **change}) != key, change


def test_code_version_follows_the_chapter_layers_not_the_build(monkeypatch, tmp_path):
    import shutil

    from moatbook.build import cache

    pkg = tmp_path / "moatbook"
    shutil.copytree(cache.PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE", pkg)

    def version():
        cache.code_version.cache_clear()
        return cache.code_version()

    before = version()
    (pkg / "build" / "site.py").write_text("# the front page changed\n", encoding="utf-8")
    assert version() == before  # the site's code does not run inside chapters
    (pkg / "book" / "render.py").write_text((pkg / "book" / "render.py").read_text() + "\n# changed\n")
    assert version() != before
    cache.code_version.cache_clear()


def test_atomic_write_replaces_whole_files(tmp_path):
    path = tmp_path / "x" / "f.json"
    atomic_write(path, json.dumps({"a": 1}).encode())
    atomic_write(path, json.dumps({"a": 2}).encode())
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in path.parent.iterdir()] == ["f.json"]
