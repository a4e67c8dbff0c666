"""Keep the notebooks tidy: stripped outputs, Colab badge and bootstrap cell from the repo constant.

    python tools/nbtool.py normalize            # every notebook + colab_links.md
    python tools/nbtool.py from-py SRC.py NB    # build a notebook from a "# %%" percent script
    python tools/nbtool.py to-py NB             # print a notebook as a percent script
    python tools/nbtool.py record NB [NB ...]   # run in fast mode, store outputs of checked cells

Outputs are stripped everywhere except in cells whose first line is ``# NBVAL_CHECK_OUTPUT``: those
keep the deterministic text they printed in a fast-mode run, and nbval compares it in CI.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils.config import colab_badge, pip_install_target  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
LINKS_FILE = ROOT / "colab_links.md"
README = ROOT / "README.md"
MAP_START, MAP_END = "<!-- course-map:start -->", "<!-- course-map:end -->"
BADGE_PATTERN = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\s*$", re.MULTILINE)
BOOTSTRAP_MARK = "# Set-up (first cell)"
SOLUTION_MARK = "# @title Solution"
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell) -> bool:
    """True for a code cell whose printed output CI compares."""
    return cell.cell_type == "code" and cell.source.startswith(CHECK_MARK)


def text_outputs(outputs: list) -> list:
    """Keep only the plain-text part of a checked cell's outputs (streams and text results)."""
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream":
            if output.get("name") == "stdout":
                kept.append(nbformat.v4.new_output("stream", name="stdout", text=output["text"]))
        elif output.get("output_type") == "execute_result" and "text/plain" in output.get("data", {}):
            text = output["data"]["text/plain"]
            kept.append(nbformat.v4.new_output("execute_result", data={"text/plain": text},
                                               execution_count=None))
    return kept


def bootstrap_source() -> str:
    """The first code cell of every notebook, generated from the repository constant."""
    return (
        f"{BOOTSTRAP_MARK}: on Colab, install the course helpers from the repository. Only light\n"
        "# packages are installed, so Colab's own TensorFlow, Keras and ipywidgets stay as they are.\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n\n"
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\",\n"
        f"                    \"{pip_install_target()}\"], check=True)\n\n"
        "import course_utils\n\n"
        "info = course_utils.setup()"
    )


def notebook_paths() -> list[Path]:
    """The course notebooks in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def normalize(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Strip outputs, set metadata, and (re)write the badge and bootstrap cell."""
    for cell in notebook.cells:
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs = text_outputs(cell.outputs) if is_checked(cell) else []
            # nbval compares a cell's output only if the stored cell counts as run.
            cell.execution_count = 1 if is_checked(cell) and cell.outputs else None
    first = notebook.cells[0]
    badge = colab_badge(name)
    if first.cell_type != "markdown":
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell(badge))
    elif BADGE_PATTERN.search(first.source):
        first.source = BADGE_PATTERN.sub(badge, first.source, count=1)
    else:
        first.source = badge + "\n\n" + first.source
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if code_cells and code_cells[0].source.startswith(BOOTSTRAP_MARK):
        code_cells[0].source = bootstrap_source()
    else:
        index = 1
        notebook.cells.insert(index, nbformat.v4.new_code_cell(bootstrap_source()))
    notebook.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "accelerator": "GPU",
        "colab": {"provenance": [], "gpuType": "T4"},
    }
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    for cell in code_cells:  # solutions start collapsed in JupyterLab and Colab
        if cell.source.startswith(SOLUTION_MARK):
            cell.metadata["jupyter"] = {"source_hidden": True}
            cell.metadata["cellView"] = "form"
    for cell in notebook.cells:  # stable ids, so diffs stay small
        cell["id"] = f"cell-{notebook.cells.index(cell):03d}"
    return notebook


def write(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Write with stable formatting."""
    nbformat.validate(notebook)
    path.write_text(nbformat.writes(notebook, version=4) + "\n", encoding="utf-8")


def colab_links_text() -> str:
    """The content of colab_links.md."""
    lines = ["# Open in Colab", "",
             "One link per notebook; generated by `python tools/nbtool.py normalize`.", ""]
    for path in notebook_paths():
        lines.append(f"- {path.name}: {colab_badge(path.name)}")
    return "\n".join(lines) + "\n"


def readme_with_course_map(text: str) -> str:
    """README text with the course map (from course_utils.course_map) between its markers."""
    from course_utils.course_map import markdown_table

    table = markdown_table({path.name for path in notebook_paths()})
    head, rest = text.split(MAP_START, 1)
    _, tail = rest.split(MAP_END, 1)
    return f"{head}{MAP_START}\n{table}\n{MAP_END}{tail}"


def from_percent(text: str) -> nbformat.NotebookNode:
    """Parse a "# %%" / "# %% [markdown]" script into a notebook."""
    notebook = nbformat.v4.new_notebook()
    for block in re.split(r"^# %%", text, flags=re.MULTILINE)[1:]:
        header, _, body = block.partition("\n")
        body = body.strip("\n")
        if "[markdown]" in header:
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines()]
            notebook.cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
        else:
            notebook.cells.append(nbformat.v4.new_code_cell(body))
    return notebook


def to_percent(notebook: nbformat.NotebookNode) -> str:
    """Render a notebook as a percent script."""
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            body = "\n".join(("# " + line).rstrip() for line in cell.source.splitlines())
            parts.append(f"# %% [markdown]\n{body}\n")
        else:
            parts.append(f"# %%\n{cell.source}\n")
    return "\n".join(parts)


def record(paths: list[Path]) -> int:
    """Execute notebooks in fast mode and store the text output of their checked cells."""
    import os

    from nbclient import NotebookClient

    os.environ.update(COURSE_FAST="1", TF_CPP_MIN_LOG_LEVEL="2")
    for path in paths:
        original = nbformat.read(path, as_version=4)
        executed = nbformat.read(path, as_version=4)
        NotebookClient(executed, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        for stored, ran in zip(original.cells, executed.cells):
            if is_checked(stored):
                stored.outputs = text_outputs(ran.outputs)
        write(normalize(original, path.name), path)
        print(f"recorded checked outputs of {path.name}")
    return 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "normalize"
    if command == "normalize":
        for path in notebook_paths():
            write(normalize(nbformat.read(path, as_version=4), path.name), path)
        LINKS_FILE.write_text(colab_links_text(), encoding="utf-8")
        README.write_text(readme_with_course_map(README.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    if command == "from-py":
        source, target = Path(argv[1]), Path(argv[2])
        write(normalize(from_percent(source.read_text(encoding="utf-8")), target.name), target)
        return 0
    if command == "record":
        return record([Path(arg) for arg in argv[1:]])
    if command == "to-py":
        print(to_percent(nbformat.read(argv[1], as_version=4)))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
