"""Training configuration files: every TrainConfig field has a home, defaults round-trip, each kind of bad
setting (and too little data) is a one-line error that says what was expected."""

from __future__ import annotations

import dataclasses
import json

import pytest

from mlmrisk.cli import main
from mlmrisk.training.config import (DOCS, SECTIONS, ConfigError, check_training_rows, dump_config, field_section,
                                     load_config)
from mlmrisk.training.fit import TrainConfig

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def test_every_trainconfig_field_has_a_section_and_a_comment():
    fields = [f.name for f in dataclasses.fields(TrainConfig)]
    homes = field_section()
    assert not [f for f in fields if f not in homes], "add the new TrainConfig field to SECTIONS in training/config.py"
    assert not [f for f in fields if f not in DOCS], "add a one-line comment for it to DOCS in training/config.py"
    assert sorted(homes) == sorted(fields), "SECTIONS names a field TrainConfig does not have"
    assert sum(len(v) for v in SECTIONS.values()) == len(homes), "a field is listed in two sections"


def test_init_config_writes_the_defaults_with_one_comment_per_setting(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    assert main(["init-config", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for name in DOCS:
        i = next(k for k, line in enumerate(lines) if line.startswith(f"{name} = "))
        assert lines[i - 1].startswith("# "), f"{name} has no comment above it"
    assert set(tomllib.loads(text)) == set(SECTIONS)
    assert load_config(path) == TrainConfig()
    assert main(["init-config", str(path)]) == 1  # never overwrites
    assert "--force" in capsys.readouterr().err


def test_round_trip_of_a_changed_config(tmp_path):
    config = TrainConfig(n_folds=3, C_grid=[2.0, 8.0], shared_data=None, written_weight=1.5, style_holdout=[],
                         extra_data=[{"path": str(tmp_path / "a.jsonl"), "label_field": "y", "elements_field": None}])
    path = tmp_path / "c.toml"
    path.write_text(dump_config(config), encoding="utf-8")
    loaded = load_config(path)
    assert loaded.n_folds == 3 and loaded.C_grid == [2.0, 8.0] and loaded.shared_data is None
    assert loaded.extra_data == [{"path": str(tmp_path / "a.jsonl"), "label_field": "y"}]


def test_overrides_by_section_and_bare_name(tmp_path):
    config = load_config(None, ["fit.n_folds=3", "C_grid=[2, 8]", "data.written_data=''", "system.n_jobs=1"])
    assert config.n_folds == 3 and config.C_grid == [2.0, 8.0] and config.written_data is None and config.n_jobs == 1


def test_relative_paths_are_relative_to_the_file(tmp_path):
    (tmp_path / "c.toml").write_text('[data]\nextra_data = [{path = "mine.csv"}]\n', encoding="utf-8")
    assert load_config(tmp_path / "c.toml").extra_data == [{"path": str(tmp_path / "mine.csv")}]


@pytest.mark.parametrize("body, expected", [
    ("[fit]\nnfolds = 3\n", "unknown setting fit.nfolds"),
    ("[fit]\nwindow = 32\n", "it lives in [features]"),
    ("[model]\nx = 1\n", "unknown section [model]"),
    ('[fit]\nn_folds = "five"\n', "n_folds must be a whole number"),
    ("[fit]\nn_folds = 2.5\n", "n_folds must be a whole number"),
    ("[mix]\nsynthetic_n = true\n", "synthetic_n must be a whole number"),
    ("[fit]\nC_grid = 4\n", "C_grid must be a list of numbers"),
    ("[fit]\nn_folds = 1\n", "n_folds must be a whole number in 2..20"),
    ("[thresholds]\nmax_benign_fpr = 1.5\n", "max_benign_fpr must be a number in [0, 1]"),
    ("[features]\nwindow = 48\n", "window must be a power of two"),
    ('[evaluation]\nstyle_holdout = ["mood"]\n', "style_holdout must be a list drawn from"),
    ('[features]\npinyin_fold = ["zh=z"]\n', "pinyin_fold must be a list of rules like"),
    ('[features]\npinyin_fold = "zh-=z-"\n', "pinyin_fold must be a list"),
    ('[data]\nextra_data = [{file = "x.csv"}]\n', "unknown key 'file'"),
    ("[fit\nn_folds = 3\n", "is not valid TOML"),
    ("[features]\nsentence_discount = 1.5\n", "sentence_discount = 1.5 needs sentence passages"),
    ('[features]\nsentence_instances = "sentences"\n', "sentence_instances must be"),
    ("[features]\nsentence_discount = -1\n", "sentence_discount must be a number ≥ 0"),
])
def test_bad_settings_are_one_line_errors(tmp_path, capsys, body, expected):
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=None) as caught:
        load_config(path)
    assert expected in str(caught.value)
    # and through the CLI: exit 1, one line on stderr, nothing trained
    assert main(["train", str(path), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and expected in err
    assert not (tmp_path / "out").exists()


def test_unreadable_and_missing_config(tmp_path, capsys):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00bad")
    assert main(["train", str(path), "--output", str(tmp_path / "o")]) == 1
    assert "not readable" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "none.toml"), "--output", str(tmp_path / "o")]) == 1
    assert "init-config" in capsys.readouterr().err


def test_bad_set_override_is_a_one_line_error(tmp_path, capsys):
    assert main(["train", "--output", str(tmp_path / "o"), "--set", "fit.n_folds=0"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "n_folds must be a whole number in 2..20, got 0" in err


def test_too_little_data_is_refused_before_fitting(tmp_path, capsys):
    with pytest.raises(ConfigError, match="at least 20 rows"):
        check_training_rows([1] * 10 + [0] * 5)
    with pytest.raises(ConfigError, match="at least 5 of each class"):
        check_training_rows([1] * 3 + [0] * 40)
    check_training_rows([1] * 5 + [0] * 15)
    data = tmp_path / "few.jsonl"
    data.write_text("".join(json.dumps({"text": "帖子" + "".join(chr(0x4E00 + 97 * i + k) for k in range(6)), "label": int(i < 3)},
                                       ensure_ascii=False) + "\n" for i in range(30)), encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text('[data]\nshared_data = ""\nwritten_data = ""\nextra_data = [{path = "few.jsonl"}]\n'
                      "[mix]\nsynthetic_n = 0\n", encoding="utf-8")
    assert main(["train", str(config), "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "too little labelled data" in err and "30 rows, 3 positive" in err and "at least 5 of each class" in err


def test_train_without_config_keeps_the_defaults_and_refuses_a_model_directory(tmp_path, capsys):
    (tmp_path / "existing").mkdir()
    (tmp_path / "existing" / "manifest.json").write_text("{}", encoding="utf-8")
    assert main(["train", "--output", str(tmp_path / "existing"), "--no-shared", "--data",
                 str(tmp_path / "existing" / "manifest.json")]) == 1
    assert "non-empty directory" in capsys.readouterr().err
    assert main(["train", "--no-shared", "--set", "data.written_data=''"]) == 1
    assert "no output directory" in capsys.readouterr().err
