"""jupyter-book's HTML build, started early: Sphinx is set up while the chapters still execute.

Run as ``python -m moatbook.build.sphinx_driver SRC OUT``. It imports Sphinx and
jupyter-book, reads the book's configuration and sets Sphinx up (extensions,
theme, the saved environment), the second or so a build otherwise waits for
after its last chapter; then it waits for one line on standard input: ``go``
(the executed notebooks are in place: build) or anything else (stop). The build
is jupyter-book's own (:func:`jupyter_book.sphinx.build_sphinx`, unrolled so it
can pause between setting up and building), with warnings as errors, nitpicky,
keep-going, HTML builder; the exit status is Sphinx's.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(src: str, out: str) -> int:
    from jupyter_book.config import get_final_config
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    source = Path(src).absolute()
    html = Path(out).absolute() / "_build" / "html"
    overrides = {"external_toc_path": (source / "_toc.yml").as_posix(), "latex_individualpages": False}
    overrides["nitpicky"] = True
    sphinx_config, _ = get_final_config(
        user_yaml=source / "_config.yml", cli_config=overrides, sourcedir=source, use_external_toc=True
    )
    with patch_docutils(None), docutils_namespace():
        app = Sphinx(
            srcdir=source,
            confdir=None,
            outdir=html,
            doctreedir=html.parent / ".doctrees",
            buildername="html",
            confoverrides=sphinx_config,
            status=sys.stdout,
            warning=sys.stderr,
            freshenv=False,
            warningiserror=True,
            verbosity=0,
            parallel=1,
            keep_going=True,
        )
        print("ready", file=sys.stderr, flush=True)
        if sys.stdin.readline().strip() != "go":
            return 2
        app.build(False, [])
        return app.statuscode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
