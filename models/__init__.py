"""Shipped models (package data ``mlmrisk.models``): ``default/`` is the model ``Scorer.load()`` uses."""
