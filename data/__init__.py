"""The project's own data files (package data ``mlmrisk.data``); see ``docs/`` for what each file is."""
