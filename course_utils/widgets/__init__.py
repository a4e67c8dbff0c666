"""Interactive explorers (ipywidgets 7.7 and 8). Each module keeps its logic in plain functions
that tests call without a browser; the widget only wires controls to those functions."""
