"""The Colab copies of the chapters (colab/<chapter>.ipynb): generated from the chapters, never stale."""

from __future__ import annotations

import json
import shutil

import jupytext

from moatbook import project
from moatbook.build import colab
from moatbook.paths import CHAPTERS_DIR, ROOT


def test_the_committed_copies_are_what_the_chapters_give():
    assert colab.problems() == []
    names = {p.stem for p in (ROOT / "colab").glob("*.ipynb")}
    assert names == {p.stem for p in CHAPTERS_DIR.glob("*.md")}


def test_a_copy_is_the_chapter_behind_one_setup_cell_without_outputs():
    chapter = CHAPTERS_DIR / "price_premium.md"
    nb = json.loads((ROOT / "colab" / "price_premium.ipynb").read_text(encoding="utf-8"))
    source = jupytext.reads(chapter.read_text(encoding="utf-8"), fmt="md:myst")
    assert ["".join(c["source"]) for c in nb["cells"][1:]] == [c.source for c in source.cells]
    assert nb["cells"][0]["metadata"]["tags"] == ["colab-setup"]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    # the parameters cell keeps its tag, so papermill can run a copy too
    assert any("parameters" in c["metadata"].get("tags", []) for c in nb["cells"])


def test_the_setup_cell_names_the_configured_repository_and_compiles():
    url, branch = project.configured_repository_url(), project.repository_branch()
    cell = json.loads((ROOT / "colab" / "intro.ipynb").read_text(encoding="utf-8"))["cells"][0]
    text = "".join(cell["source"])
    compile(text, "setup", "exec")
    assert f"REPOSITORY, BRANCH = {json.dumps(url)}, {json.dumps(branch)}" in text


def test_an_edited_chapter_or_a_stray_copy_is_reported_and_rewritten(tmp_path):
    chapters, out = tmp_path / "chapters", tmp_path / "colab"
    chapters.mkdir()
    for name in ("intro.md", "scorecard.md"):
        shutil.copy(CHAPTERS_DIR / name, chapters / name)
    assert colab.write(out, chapters) == ["intro.ipynb", "scorecard.ipynb"]
    assert colab.problems(out, chapters) == []
    (chapters / "intro.md").write_text((chapters / "intro.md").read_text() + "\nA new paragraph.\n")
    (out / "old.ipynb").write_text("{}")
    (out / "scorecard.ipynb").unlink()
    assert colab.problems(out, chapters) == [
        "colab/intro.ipynb: differs from chapters/intro.md (run make colab)",
        "colab/scorecard.ipynb: missing (run make colab)",
        "colab/old.ipynb: no chapter of that name (run make colab)",
    ]
    assert sorted(colab.write(out, chapters)) == ["intro.ipynb", "old.ipynb", "scorecard.ipynb"]
    assert colab.problems(out, chapters) == []


def test_the_colab_link_opens_the_copy_on_github():
    links = project.launch_links("scorecard", "https://github.com/acme/moatbook", "main")
    assert links["colab"] == "https://colab.research.google.com/github/acme/moatbook/blob/main/colab/scorecard.ipynb"
