"""The notebook table's metric column: the first number a notebook wrote, and for an FD the ratio
to the untrained model's FD that fast mode's learning check bounds."""

from __future__ import annotations

import json

import nb_report
import pytest


def _write(root, stem, metrics):
    folder = root / "artefacts" / "fast" / stem
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")


def test_an_fd_is_shown_with_its_ratio_to_the_untrained_model(tmp_path):
    _write(tmp_path, "04_dense_gan", {"fd": 58.7, "fd_untrained": 116.45, "kid": 0.1})
    assert nb_report.read_metric(tmp_path, "notebooks/04_dense_gan.ipynb") == "fd=58.7 (0.504 of untrained)"


@pytest.mark.parametrize("metrics", [{"fd": 58.7}, {"fd": 58.7, "fd_untrained": 0},
                                     {"heldout_elbo_nats": -181.5, "fd_untrained": 100.0}])
def test_without_an_untrained_fd_only_the_first_entry_is_shown(tmp_path, metrics):
    _write(tmp_path, "10_vae", metrics)
    name, value = next(iter(metrics.items()))
    assert nb_report.read_metric(tmp_path, "notebooks/10_vae.ipynb") == f"{name}={value:.4g}"


def test_a_missing_file_reads_as_a_dash(tmp_path):
    assert nb_report.read_metric(tmp_path, "notebooks/05_dcgan_fashion_mnist.ipynb") == "–"



class _PluginManager:
    def __init__(self):
        self.plugins = {}

    def has_plugin(self, name):
        return name in self.plugins

    def register(self, plugin, name):
        self.plugins[name] = plugin


class _Config:
    def __init__(self, rootpath):
        self.rootpath = rootpath
        self.pluginmanager = _PluginManager()

    def addinivalue_line(self, name, line):
        pass


def test_the_table_reads_artefacts_under_course_storage(tmp_path, monkeypatch):
    storage = tmp_path / "drive"
    monkeypatch.setenv("COURSE_STORAGE", str(storage))
    config = _Config(rootpath=tmp_path / "checkout")
    nb_report.pytest_configure(config)
    assert config.pluginmanager.plugins["nb_report_collector"].root == storage
