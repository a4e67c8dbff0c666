"""Notebook hygiene: valid, output-free, badge and bootstrap from the repo constant, numbered."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from nbtool import (
    BOOTSTRAP_MARK,
    LINKS_FILE,
    NOTEBOOKS,
    README,
    ROOT,
    bootstrap_source,
    colab_links_text,
    notebook_paths,
    readme_with_course_map,
)

from course_utils.config import RELEASE_REF, colab_url
from course_utils.course_map import LESSONS

PATHS = notebook_paths()
BADGE_URL = re.compile(r"\]\((https://colab\.research\.google\.com/github/[^)]+)\)")


def _code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_there_are_notebooks_and_their_numbers_are_contiguous():
    numbers = [int(path.name[:2]) for path in PATHS]
    assert numbers == list(range(len(numbers))), f"numbering has gaps: {numbers}"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name) for path in PATHS)


def test_every_notebook_is_in_the_course_map():
    mapped = [lesson.file for lesson in LESSONS]
    assert [path.name for path in PATHS] == mapped[: len(PATHS)]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_is_valid_and_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in _code_cells(notebook):
        assert cell.execution_count is None, f"{path.name}: execution count stored"
        assert cell.outputs == [], f"{path.name}: outputs stored"
        assert "NBVAL_CHECK_OUTPUT" not in cell.source, (
            f"{path.name}: a cell asks nbval to compare stored output; notebooks store none, "
            "state the expectation with assert instead")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_badge_points_at_the_notebooks_own_path(path):
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    urls = BADGE_URL.findall(first.source)
    assert urls == [colab_url(path.name)]
    assert urls[0].endswith(f"/{NOTEBOOKS.name}/{path.name}")
    assert (ROOT / urls[0].split(f"/blob/{RELEASE_REF}/")[1]) == path


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_bootstrap_cell_comes_first_and_is_current(path):
    notebook = nbformat.read(path, as_version=4)
    first_code = _code_cells(notebook)[0]
    assert first_code.source.startswith(BOOTSTRAP_MARK)
    assert first_code.source == bootstrap_source(path.name)
    assert notebook.metadata.get("accelerator") == "GPU"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_has_a_title_and_a_checked_result(path):
    notebook = nbformat.read(path, as_version=4)
    assert re.search(r"^# ", notebook.cells[0].source, re.MULTILINE), "title heading missing"
    code = "\n".join(cell.source for cell in _code_cells(notebook))
    assert "assert " in code, "no checked result"


def test_colab_links_file_is_in_sync():
    assert LINKS_FILE.read_text(encoding="utf-8") == colab_links_text()


def test_readme_course_map_is_in_sync_and_lists_all_twelve():
    text = README.read_text(encoding="utf-8")
    assert text == readme_with_course_map(text)
    for lesson in LESSONS:
        assert lesson.file in text


def test_bootstrap_installs_only_on_colab_and_from_the_repo_constant():
    from course_utils.config import GITHUB_REPO

    source = bootstrap_source()
    install_line = next(line for line in source.splitlines() if "pip" in line)
    guard = source.index('if "google.colab" in sys.modules:')
    assert guard < source.index(install_line)
    assert f"git+https://github.com/{GITHUB_REPO}" in source
    assert 'course_utils.setup(notebook="00_start_here")' in source


def _ends_with_a_plotting_call(source: str) -> bool:
    """True when a cell's last statement is a bare ``plotting.*(...)`` call: Jupyter would print
    its return value (a matplotlib ``Axes`` array) under the picture."""
    try:
        body = ast.parse(source).body
    except SyntaxError:  # cells with IPython magics
        return False
    if not body or not isinstance(body[-1], ast.Expr) or not isinstance(body[-1].value, ast.Call):
        return False
    function = body[-1].value.func
    return (isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
            and function.value.id == "plotting")


def test_the_stray_output_check_sees_a_bare_plotting_call():
    assert _ends_with_a_plotting_call("x = 1\nplotting.show_images(x)")
    assert not _ends_with_a_plotting_call("plotting.show_images(x)\nplt.show()")
    assert not _ends_with_a_plotting_call("axes = plotting.show_images(x)")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_no_cell_prints_the_axes_of_its_last_plot(path):
    notebook = nbformat.read(path, as_version=4)
    stray = [index for index, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and _ends_with_a_plotting_call(cell.source)]
    assert not stray, f"{path.name}: cells {stray} end with a bare plotting call; add plt.show()"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_every_solution_follows_a_stub_cell_to_try_first(path):
    cells = nbformat.read(path, as_version=4).cells
    for index, cell in enumerate(cells):
        if cell.cell_type == "code" and cell.source.startswith("# @title Solution"):
            before = cells[index - 1]
            assert before.cell_type == "code" and "# Your code here" in before.source, (
                f"{cell.source.splitlines()[0]!r} has no stub cell ('# Your code here: …') before it")


#: "No code cell longer than about 60 lines": a longer cell is split into steps with a sentence between.
LONGEST_CODE_CELL = 62


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_no_code_cell_is_longer_than_about_sixty_lines(path):
    cells = nbformat.read(path, as_version=4).cells
    long = {index: len(cell.source.splitlines()) for index, cell in enumerate(cells)
            if cell.cell_type == "code" and len(cell.source.splitlines()) > LONGEST_CODE_CELL}
    assert not long, f"{path.name}: cells (index: lines) {long} are over {LONGEST_CODE_CELL} lines"
