"""The wheel a user installs: built from the repository, installed non-editable into a fresh venv, used from a
directory far from the checkout. Only ``mlmrisk`` is installed as an import name, and the default model ships
inside the package."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)], check=True,
                   cwd=out)
    (path,) = out.glob("mlmrisk-*.whl")
    return path


@pytest.fixture(scope="module")
def wheel_without_compiler(tmp_path_factory) -> Path:
    """The wheel a machine without a working C compiler builds (``CC`` points at a compiler that always fails)."""
    out = tmp_path_factory.mktemp("wheel_no_cc")
    env = {k: v for k, v in os.environ.items() if k != "MLMRISK_REQUIRE_COMPILED"}
    env.update(CC="false", CXX="false", LDSHARED="false")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(REPO)],
                          cwd=out, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = out.glob("mlmrisk-*.whl")
    return path


def test_wheel_holds_one_import_name_and_the_model(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"mlmrisk"}, top
    for needed in ("mlmrisk/models/default/mlm.onnx", "mlmrisk/models/default/model.onnx",
                   "mlmrisk/models/default/manifest.json", "mlmrisk/data/folding.tsv", "mlmrisk/classifier/schema.py"):
        assert needed in names, needed
    assert any(name.endswith("LICENSE") for name in names)
    if os.environ.get("CI"):  # CI builds with MLMRISK_REQUIRE_COMPILED=1: the platform wheel carries the kernels
        assert any(name.startswith("mlmrisk/classifier/_compiled_kernels.") for name in names), names


def _has_compiled_kernels(wheel: Path) -> bool:
    return any(name.startswith("mlmrisk/classifier/_compiled_kernels.") for name in zipfile.ZipFile(wheel).namelist())


def test_wheel_scores_from_a_fresh_venv_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "posts.jsonl").write_text(
        json.dumps({"id": 1, "text": "交399入会费成为会员，直推一人奖100，还有见点奖，团队越大拿得越多"}, ensure_ascii=False)
        + "\n" + json.dumps({"id": 2, "text": "今天天气不错"}, ensure_ascii=False) + "\n", encoding="utf-8")
    version = subprocess.run([str(python), "-m", "mlmrisk", "--version"], capture_output=True, text=True, check=True,
                             cwd=work)
    assert version.stdout.startswith("mlmrisk ")
    compiled = _has_compiled_kernels(wheel)
    assert ("kernels: compiled ahead of time" in version.stdout) == compiled, version.stdout
    assert re.search(r"default model: \d+\.\d+\.\d+\+[0-9a-f]{12}\)", version.stdout), version.stdout
    subprocess.run([str(env_dir / "bin" / "mlmrisk"), "score", "posts.jsonl", "-o", "out.jsonl", "--no-progress"],
                   check=True, cwd=work, capture_output=True)
    records = [json.loads(line) for line in (work / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [1, 2]
    assert records[0]["flagged"] and not records[1]["flagged"] and records[0]["model"]
    code = ("from mlmrisk import Scorer, RiskResult, Evidence, RiskLevel, Element; import mlmrisk, sys; "
            "assert 'site-packages' in mlmrisk.__file__, mlmrisk.__file__; "
            "r = Scorer.load().score(['静态收益加动态收益，直推十人拿见点奖'])[0]; "
            "assert isinstance(r, RiskResult) and r.level in (RiskLevel.HIGH, RiskLevel.SEVERE), r.level; "
            "assert 'classifier' not in sys.modules and 'serving' not in sys.modules; "
            # a wheel with the compiled kernels runs them without numba (classifier/compiled.py)
            f"assert ('numba' in sys.modules) != {compiled}, 'numba imported: ' + str('numba' in sys.modules)")
    subprocess.run([str(python), "-c", code], check=True, cwd=work)


def test_a_machine_without_a_compiler_still_gets_a_working_package(wheel_without_compiler, tmp_path):
    """The compiled kernels are optional in the build: without them numba compiles the kernels at run time."""
    assert not _has_compiled_kernels(wheel_without_compiler)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel_without_compiler)], check=True, cwd=tmp_path)
    version = subprocess.run([str(python), "-m", "mlmrisk", "--version"], capture_output=True, text=True, check=True,
                             cwd=tmp_path)
    assert "kernels: numba at run time; the compiled kernels are not built" in version.stdout, version.stdout
    code = ("import sys; from mlmrisk import Scorer, RiskLevel; "
            "r = Scorer.load().score(['静态收益加动态收益，直推十人拿见点奖'])[0]; "
            "assert r.level in (RiskLevel.HIGH, RiskLevel.SEVERE), r.level; assert 'numba' in sys.modules")
    subprocess.run([str(python), "-c", code], check=True, cwd=tmp_path)
