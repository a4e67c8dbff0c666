# Two commands: `make lab` (JupyterLab on the notebooks) and `make test` (every test).
# Each creates or updates the environment it needs first: the active conda environment made
# from environment.yml if it is active, otherwise a virtual environment in .venv, installed with
# the versions CI tested (constraints.txt).
PYTHON ?= python3
ifeq ($(CONDA_DEFAULT_ENV),tf-course)
ENV_PY := $(CONDA_PREFIX)/bin/python
STAMP := $(CONDA_PREFIX)/.course-installed
else
ENV_PY := .venv/bin/python
STAMP := .venv/.course-installed
endif
TEST_ENV := COURSE_FAST=1 TF_CPP_MIN_LOG_LEVEL=2
# Offline data for the tests (full Fashion-MNIST, the colour emoji) and the browser for the JupyterLab test.
SYSTEM_PACKAGES := dataset-fashion-mnist fonts-noto-color-emoji chromium

.PHONY: gallery leaderboard lab test rehearse env system-packages prefetch run clean

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(ENV_PY) || $(PYTHON) -m venv .venv
	$(ENV_PY) -m pip install --quiet --upgrade pip
	$(ENV_PY) -m pip install --quiet -c constraints.txt -e ".[all]"
	@touch $(STAMP)

# The tests run offline: install the Debian data packages where this machine can (root + apt),
# otherwise stop at once and name the command that provides them.
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done | xargs); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing the offline test data: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "error: the tests need these Debian packages: $$missing"; \
	    echo "Fix: sudo apt-get install $$missing   (then run make test again)"; exit 1; \
	  fi; \
	fi

lab: env
	$(ENV_PY) -m jupyter lab --ServerApp.ip=127.0.0.1 --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# Two pytest workers (pytest-xdist): one notebook keeps about 1.3 of a 2-core machine's cores busy.
# Each test file (so each notebook, whose cells share one kernel) stays on one worker. The unit
# tests run first and leave the Fashion-MNIST feature network in the cache, so the notebooks load
# one meter instead of two of them training their own at the same time.
TEST_WORKERS ?= 2
test: env system-packages
	$(ENV_PY) -m ruff check .
	$(TEST_ENV) $(ENV_PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests
	$(TEST_ENV) $(ENV_PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile notebooks

# Every notebook again, the way Colab runs it (Colab's kind of stack, no checkout, no fonts or data
# packages, downloads from a local server, GPU policy forced); see tools/rehearse.py.
rehearse: env system-packages
	$(ENV_PY) tools/rehearse.py $(ARGS)

prefetch: env
	$(ENV_PY) -m course_utils.prefetch

# One notebook in full mode, headless: executed copy in runs/<name>/, artefacts in artefacts/<name>/.
run: env
	@test -n "$(NB)" || { echo "usage: make run NB=05 [ARGS=--fast]"; exit 2; }
	$(ENV_PY) tools/run_notebook.py $(NB) $(ARGS)

# README's results gallery from the full-mode runs' samples and metrics (see tools/gallery.py).
gallery: env
	$(ENV_PY) tools/gallery.py

# README's leaderboard: the Fashion-MNIST models on one meter with their budgets (tools/leaderboard.py).
leaderboard: env
	$(ENV_PY) tools/leaderboard.py

clean:
	rm -rf artefacts runs .pytest_cache .rehearsal
