"""The reused shell that executes chapters: outputs shaped as a kernel sends them, a clean start each time."""

from __future__ import annotations

import nbformat
import pytest

from moatbook.build.execute import NotebookRunner, failed_cell, parameterize


def notebook(*sources: str, tags: dict[int, list[str]] | None = None) -> dict:
    cells = []
    for i, src in enumerate(sources):
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["tags"] = (tags or {}).get(i, [])
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    return nbformat.from_dict(nb)


@pytest.fixture(scope="module")
def runner():
    return NotebookRunner()


def test_outputs_have_the_shapes_a_kernel_sends(runner, tmp_path):
    nb = notebook(
        "from IPython.display import HTML, display\nprint('to stdout')\nprint('more')",
        "import sys\nsys.stderr.write('to stderr\\n')\ndisplay(HTML('<b>shown</b>'))\n1 + 1",
        "from myst_nb import glue\nglue('answer', 42, display=False)",
        "x = 3;",
    )
    out = runner.run(nb, str(tmp_path))
    assert out.error is None
    cells = out.notebook["cells"]
    assert cells[0]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "to stdout\nmore\n"}]
    kinds = [o["output_type"] for o in cells[1]["outputs"]]
    assert kinds == ["stream", "display_data", "execute_result"]
    assert cells[1]["outputs"][1]["data"]["text/html"] == "<b>shown</b>"
    result = cells[1]["outputs"][2]
    assert result["data"] == {"text/plain": "2"} and result["execution_count"] == 2
    glued = cells[2]["outputs"][0]
    assert glued["metadata"]["scrapbook"]["name"] == "answer"
    assert cells[3]["outputs"] == []  # a trailing semicolon hides the result, as in a kernel
    assert [c["execution_count"] for c in cells] == [1, 2, 3, 4]
    nbformat.validate(nbformat.from_dict(out.notebook))  # an ordinary, valid notebook


def test_each_notebook_starts_clean(runner, tmp_path):
    runner.run(notebook("leftover = 1\nimport warnings\nwarnings.warn('careful', UserWarning)"), str(tmp_path))
    second = runner.run(
        notebook("print('leftover' in dir())", "import warnings\nwarnings.warn('careful', UserWarning)"),
        str(tmp_path),
    )
    cells = second.notebook["cells"]
    assert cells[0]["outputs"][0]["text"] == "False\n"  # no variable survives from the last notebook
    assert cells[0]["execution_count"] == 1  # the counter starts again
    assert "careful" in cells[1]["outputs"][0]["text"]  # a warning shows again, as in a fresh kernel


def test_runs_in_the_given_folder(runner, tmp_path):
    (tmp_path / "here").mkdir()
    out = runner.run(notebook("import os\nprint(os.getcwd())"), str(tmp_path / "here"))
    assert out.notebook["cells"][0]["outputs"][0]["text"].strip() == str(tmp_path / "here")


def test_an_error_stops_the_notebook_and_names_the_cell(runner, tmp_path):
    nb = parameterize(
        notebook("company = 'x'", "a = 1", "ok = True\n1 / 0", "never = True", tags={0: ["parameters"]}),
        {"company": "acme"},
    )
    out = runner.run(nb, str(tmp_path))
    assert out.error == "ZeroDivisionError: division by zero"
    cells = out.notebook["cells"]
    err = cells[3]["outputs"][-1]
    assert err["output_type"] == "error" and err["ename"] == "ZeroDivisionError" and err["traceback"]
    assert cells[4]["execution_count"] is None and cells[4]["outputs"] == []
    # the injected parameters cell is not one of the chapter's own cells
    assert failed_cell(out.notebook) == (3, "ok = True")


def test_parameters_are_injected_after_the_parameters_cell_and_hidden(tmp_path):
    nb = notebook("company = 'xiaomi'", "print(company)", tags={0: ["parameters", "remove-cell"]})
    nb = parameterize(nb, {"company": "acme", "output_dir": ".."})
    injected = nb["cells"][1]
    assert injected["metadata"]["tags"] == ["injected-parameters", "remove-cell"]
    assert injected["source"] == '# Parameters\ncompany = "acme"\noutput_dir = ".."\n'
    again = parameterize(nb, {"company": "globex"})  # re-parameterising replaces, never stacks
    assert sum("injected-parameters" in c["metadata"]["tags"] for c in again["cells"]) == 1


def test_a_second_runner_in_the_same_process_works(runner, tmp_path):
    """IPython keeps one shell per process; a new runner (a second build, another test) must still run."""
    second = NotebookRunner()
    out = second.run(
        notebook("from IPython.display import HTML, display\ndisplay(HTML('<i>again</i>'))"), str(tmp_path)
    )
    assert out.error is None
    assert out.notebook["cells"][0]["outputs"][0]["data"]["text/html"] == "<i>again</i>"


def test_the_host_keeps_its_own_main_module(runner, tmp_path):
    """IPython swaps in its namespace as __main__; the host must get its own back (multiprocessing needs it)."""
    import sys

    host = sys.modules["__main__"]
    out = runner.run(notebook("import sys\nname = sys.modules['__main__'].__name__"), str(tmp_path))
    assert out.error is None
    assert sys.modules["__main__"] is host
    assert NotebookRunner() and sys.modules["__main__"] is host
