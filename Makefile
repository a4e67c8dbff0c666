# Two commands: `make lab` (JupyterLab on the notebooks) and `make test` (every test).
# Each creates or updates the environment it needs first: the active conda environment made
# from environment.yml if it is active, otherwise a virtual environment in .venv.
PYTHON ?= python3
ifeq ($(CONDA_DEFAULT_ENV),tf-course)
ENV_PY := $(CONDA_PREFIX)/bin/python
STAMP := $(CONDA_PREFIX)/.course-installed
else
ENV_PY := .venv/bin/python
STAMP := .venv/.course-installed
endif
TEST_ENV := COURSE_FAST=1 TF_CPP_MIN_LOG_LEVEL=2

.PHONY: gallery lab test env prefetch run clean

env: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(ENV_PY) || $(PYTHON) -m venv .venv
	$(ENV_PY) -m pip install --quiet --upgrade pip
	$(ENV_PY) -m pip install --quiet -e ".[all]"
	@touch $(STAMP)

lab: env
	$(ENV_PY) -m jupyter lab --ServerApp.ip=127.0.0.1 --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

test: env
	$(ENV_PY) -m ruff check .
	$(TEST_ENV) $(ENV_PY) -m pytest -q

prefetch: env
	$(ENV_PY) -m course_utils.prefetch

# One notebook in full mode, headless: executed copy in runs/<name>/, artefacts in artefacts/<name>/.
run: env
	@test -n "$(NB)" || { echo "usage: make run NB=05 [ARGS=--fast]"; exit 2; }
	$(ENV_PY) tools/run_notebook.py $(NB) $(ARGS)

# README's results gallery from the full-mode runs' samples and metrics (see tools/gallery.py).
gallery: env
	$(ENV_PY) tools/gallery.py

clean:
	rm -rf artefacts runs .pytest_cache
