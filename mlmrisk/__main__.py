"""``python -m mlmrisk`` is the ``mlmrisk`` command."""

from mlmrisk.cli import main

raise SystemExit(main())
