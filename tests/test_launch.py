"""Binder and Colab links in the box at the top of each page, built from the repository's address."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from moatbook import project
from moatbook.book import context


def test_binder_opens_the_chapter_source_on_github(tmp_path):
    links = project.launch_links("price_premium", "https://github.com/acme/moatbook", "main", root=tmp_path)
    assert links == {
        "binder": "https://mybinder.org/v2/gh/acme/moatbook/main?urlpath=lab/tree/chapters/price_premium.md"
    }
    query = parse_qs(urlsplit(links["binder"]).query)
    assert query == {"urlpath": ["lab/tree/chapters/price_premium.md"]}


def test_colab_needs_github_and_a_notebook_of_the_chapter(tmp_path):
    (tmp_path / "colab").mkdir()
    (tmp_path / "colab" / "scorecard.ipynb").write_text("{}", encoding="utf-8")
    links = project.launch_links("scorecard", "https://github.com/acme/moatbook", "teach", root=tmp_path)
    assert links["colab"] == "https://colab.research.google.com/github/acme/moatbook/blob/teach/colab/scorecard.ipynb"
    assert links["binder"].startswith("https://mybinder.org/v2/gh/acme/moatbook/teach?")
    # Colab opens notebooks from GitHub only: a GitLab repository gets Binder alone
    links = project.launch_links("scorecard", "https://gitlab.com/acme/moatbook", "main", root=tmp_path)
    assert links == {"binder": "https://mybinder.org/v2/gl/acme%2Fmoatbook/main?urlpath=lab/tree/chapters/scorecard.md"}


def test_any_other_host_uses_binders_git_form_and_no_address_gives_no_links(tmp_path):
    links = project.launch_links("intro", "https://git.example.org/team/moatbook", "release/1", root=tmp_path)
    assert links == {
        "binder": "https://mybinder.org/v2/git/https%3A%2F%2Fgit.example.org%2Fteam%2Fmoatbook/release%2F1"
        "?urlpath=lab/tree/chapters/intro.md"
    }
    assert project.launch_links("intro", "", "main", root=tmp_path) == {}


def test_the_project_branch_is_read_from_the_config():
    assert project.repository_branch() == "main"


@pytest.mark.parametrize("url", ["https://github.com/acme/moatbook", ""])
def test_the_about_box_links_them_next_to_the_notebook_download(monkeypatch, url):
    from moatbook.book.frontback import Teachers

    monkeypatch.setattr(project, "repository_url", lambda: url)
    html = Teachers("xiaomi").about().html
    download = html.index("downloads/notebooks/teachers.ipynb")
    if url:
        runs = re.findall(r'<a class="mb-launch" href="([^"]+)"[^>]*>(\w+)</a>', html)
        assert runs == [
            ("https://mybinder.org/v2/gh/acme/moatbook/main?urlpath=lab/tree/chapters/teachers.md", "Binder"),
            ("https://colab.research.google.com/github/acme/moatbook/blob/main/colab/teachers.ipynb", "Colab"),
        ]
        assert html.index("Run online") > download  # beside the download of the executed notebook
    else:
        assert "Run online" not in html and "mybinder" not in html


def test_the_links_are_in_every_chapters_cache_key(monkeypatch):
    context.forget()
    try:
        from moatbook.data import load

        ctx = context.prepare(load(["xiaomi"]), "xiaomi")
        monkeypatch.setattr(project, "repository_url", lambda: "https://github.com/acme/moatbook")
        for chapter in ("teachers", "price_premium", "methodology", "crosswalk"):
            a = context.fingerprint(context.chapter_inputs(ctx, chapter))
            monkeypatch.setattr(project, "repository_branch", lambda: "other")
            b = context.fingerprint(context.chapter_inputs(ctx, chapter))
            monkeypatch.setattr(project, "repository_branch", lambda: "main")
            assert a != b, chapter
    finally:
        context.forget()
