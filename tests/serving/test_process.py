"""``serving.process.skip_numba_blas_probe``: start-up without numba's SciPy probe, with the same scores."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

_SCRIPT = """
import json, sys
skip = {skip}
if skip:
    from mlmrisk.serving.process import skip_numba_blas_probe
    saved = skip_numba_blas_probe()
else:
    saved = None
from mlmrisk import Scorer
scorer = Scorer.load()
texts = ["静态收益加动态收益，直推十人拿见点奖，发展下线团队计酬", "今天天气不错", "fa zhan xia xian", ""]
records = scorer.score_batch(texts).records()
during = "scipy.linalg" in sys.modules
import numpy as np
import scipy.linalg  # importable again afterwards
ok = bool(np.allclose(scipy.linalg.inv(np.eye(2)), np.eye(2)))
print(json.dumps({{"saved": saved, "linalg_during": during, "scipy_ok": ok, "records": records}}))
"""


def _run(skip: bool) -> dict:
    done = subprocess.run([sys.executable, "-c", _SCRIPT.format(skip=skip)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(importlib.util.find_spec("scipy") is None, reason="without SciPy there is no probe to skip")
def test_scoring_without_the_probe_gives_the_same_records_and_leaves_scipy_usable() -> None:
    normal, skipped = _run(False), _run(True)
    assert normal["linalg_during"] is True  # numba's probe imported scipy.linalg while loading the kernels
    assert skipped["saved"] is True and skipped["linalg_during"] is False
    assert skipped["scipy_ok"] and normal["scipy_ok"]
    assert skipped["records"] == normal["records"]


def test_a_second_call_or_a_loaded_target_is_a_no_op() -> None:
    script = ("from mlmrisk.serving.process import skip_numba_blas_probe as s; from mlmrisk import Scorer; "
              "Scorer.load().score(['x']); print(s())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False"
