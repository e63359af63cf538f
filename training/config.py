"""Training configuration files: one commented TOML file holds every setting of a run (``mlmrisk init-config``).

The file maps onto the fields of :class:`mlmrisk.training.fit.TrainConfig` generically: :data:`SECTIONS` says in
which section each field lives, :data:`DOCS` holds the one-line comment written above it, :data:`RANGES` the
values it accepts. A field added to ``TrainConfig`` without a section fails ``tests/training/test_config.py``, so
no setting can be left out of the file.

Reading (:func:`load_config`) checks every key, type and range and reports the first problem in one line that
says what was expected. ``--set section.key=value`` (or the bare ``key=value``) overrides a setting after the
file is read; values are read as TOML values (``--set fit.C_grid=[2,8]``, ``--set data.shared_data="/data"``),
and a value that is not valid TOML is taken as a string.

Beside every model, ``train`` writes the RESOLVED configuration (``config.toml``: defaults, file and overrides
applied) and records the SHA-256 of every input file in the manifest (``data_hashes``), so a model directory says
exactly what it was built from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from mlmrisk.classifier.errors import MlmriskError
from mlmrisk.classifier.pinyin import parse_fold_rules
from mlmrisk.training.fit import SENTENCE_INSTANCES, TrainConfig

#: Section of every TrainConfig field, in the order the file lists them.
SECTIONS: dict[str, tuple[str, ...]] = {
    "data": ("shared_data", "written_data", "extra_data"),
    "mix": ("labelled_weight", "written_weight", "synthetic_n", "synthetic_positive_fraction", "synthetic_boilerplate",
            "train_rewrites", "train_rewrite_share"),
    "features": ("char_orders", "pinyin_orders", "pinyin_fold", "bucket_bits", "window", "sentence_min_chars",
                 "sentence_discount", "min_norm", "max_chars", "negative_passages", "positive_passages",
                 "sentence_instances", "latin_syllables_only", "latin_post_share"),
    "fit": ("C_grid", "element_C", "min_df", "n_folds", "solver_tol"),
    "discussion": ("discussion_kinds", "discussion_C", "discussion_quantile", "discussion_weight", "discussion_data",
                   "discussion_boilerplate", "discussion_quotes", "discussion_distinct"),
    "thresholds": ("max_benign_fpr", "min_precision", "watch_ratio"),
    "evaluation": ("style_holdout",),
    "system": ("synthetic_seed", "evasion_seed", "n_jobs", "output"),
}
SECTION_DOCS = {
    "data": "Where the training data comes from and how its fields are read.",
    "mix": "How the corpora are mixed: sample weights and the synthetic share.",
    "features": "What the model sees: n-gram channels, hashing, passages and the length prior.",
    "fit": "Model fitting and cross-validation.",
    "discussion": "The discussion guard: a whole-post head that lowers the score of warnings and reports quoting "
                  "a pitch (classifier/discussion.py).",
    "thresholds": "How the flag threshold is chosen (out-of-fold, on real data).",
    "evaluation": "Generalisation checks written into report.md.",
    "system": "Seeds, parallelism and where the model goes.",
}
DOCS: dict[str, str] = {
    "shared_data": 'the shared real corpora folder (ChineseHarm, benign and hard negatives); "default" = '
                   '$MLMRISK_SHARED_DATA or ../shared/data, "" = do not use it',
    "written_data": 'the project\'s written corpus: "default" (data/written), a folder of *.jsonl, or "" for none',
    "extra_data": "your labelled files: a list of {path, text_field, label_field, elements_field, name} tables "
                  '(e.g. [{path = "labelled.jsonl", label_field = "label", elements_field = "elements"}]); '
                  "label is 0/1, elements a list of lart/fee/team/ponzi; .jsonl, .csv or .parquet",
    "labelled_weight": "sample weight of rows from labelled real files (ChineseHarm and extra_data)",
    "written_weight": "sample weight of rows from the written corpus",
    "synthetic_n": "how many synthetic posts to generate (training/synthetic.py); 0 = none",
    "synthetic_boilerplate": "share of the synthetic posts, of both classes, given one stock line (disclaimer, "
                             "group rule, risk notice, anti-fraud slogan; data/boilerplate/train.jsonl)",
    "synthetic_positive_fraction": "share of the synthetic posts that are promotions (the rest are hard negatives)",
    "train_rewrites": "perturbation kinds (training/perturb.py, e.g. pinyin_post) of which copies of written "
                      "training posts of both labels become training rows, with their source's fold and style",
    "train_rewrite_share": "share of the written training posts given one such rewritten copy; 0 = none",
    "char_orders": "character n-gram orders hashed into the feature space",
    "pinyin_orders": "pinyin-syllable n-gram orders (the phonetic channel); [] switches the channel off",
    "pinyin_fold": 'near-homophones the phonetic channel merges: "zh-=z-" folds an initial, "-ing=-in" a final '
                   '(e.g. 卫星 wei xing meets 微信 wei xin); [] = exact toneless syllables',
    "bucket_bits": "log2 of the number of hash buckets (8..26)",
    "window": "passage length in characters (a power of two); a post is scored by its best passage",
    "sentence_min_chars": "each sentence of a post with this many content characters or more is a passage too (a "
                          "pitch pasted into a longer post is scored on its own); 0 = windows only",
    "latin_syllables_only": "a Latin run that splits wholly into pinyin syllables of two letters or more gives its "
                            "syllable n-grams only, no character n-grams (a post written in pinyin reads as its "
                            "Chinese spelling; classifier/features.py: latin_block)",
    "latin_post_share": "with latin_syllables_only: only in posts whose content characters are at least this share "
                        "such runs (a post written in pinyin; a Chinese post keeps its pinyin tags' character "
                        "n-grams); 0 = every post",
    "sentence_discount": "taken off a sentence passage's MLM decision value before a post's best passage is chosen "
                         "(a sentence alone has lost its context); 0 = none; needs sentence_min_chars",
    "min_norm": "length prior: floor of the TF-IDF norm, so a short text must show enough to score high",
    "max_chars": "characters of a post that are read (the rest is cut off)",
    "negative_passages": "add the passages of long benign posts as extra negatives",
    "positive_passages": "refit the MLM head with each long promotion's best passage (under a first fit) as an "
                         "extra positive",
    "sentence_instances": 'which of those two passage sets may take sentence passages (sentence_min_chars): "both", '
                          '"negatives", "positives" or "none" (windows only; serving scores every passage either way)',
    "C_grid": "inverse L2 strengths tried for the MLM head; chosen by out-of-fold average precision on real data",
    "element_C": "inverse L2 strength of the four element heads",
    "min_df": "buckets present in fewer of a head's training posts get no weight (1: every bucket seen)",
    "solver_tol": "lbfgs gradient tolerance of every linear fit (heads and guard); scikit-learn minimises the mean "
                  "loss, so 1e-4 (models up to 2.4.0) stops before rare n-grams move: docs/training.md",
    "n_folds": "grouped cross-validation folds (out-of-fold scores drive calibration and thresholds)",
    "discussion_kinds": "kinds of posts that talk ABOUT schemes, the guard's positives: a written "
                        "record's kind or a synthetic scheme (anti_mlm); [] = no guard",
    "discussion_C": "inverse L2 strength of the discussion head",
    "discussion_quantile": "the guard starts above this quantile of out-of-fold discussion values of promotions",
    "discussion_weight": "logit taken off the MLM score per unit of discussion value above that start",
    "discussion_data": 'written posts that train the guard only, never the five heads: "default" '
                       '(data/written_discussion), a folder of *.jsonl, or "" for none',
    "discussion_boilerplate": "share of the training promotions (written and synthetic) that also train the guard, "
                              "as its negatives only, with a stock line attached (data/boilerplate/train.jsonl)",
    "discussion_quotes": "the guard also reads which n-grams stand inside quotation marks (classifier/quotes.py): "
                         "a warning quotes the pitch it warns against",
    "discussion_distinct": "the guard counts each distinct n-gram of a post once, not every occurrence, so a pitch "
                           "pasted many times over reads as it does once (false: every occurrence, models 2.1-2.4)",
    "max_benign_fpr": "false-positive budget: the flag threshold keeps the benign corpora's FPR at or below this",
    "min_precision": "the flag threshold needs at least this precision on the labelled task (else best F1)",
    "watch_ratio": "watch threshold = flag threshold x this (posts above watch get evidence)",
    "style_holdout": "written-corpus style axes left out one value at a time (subset of era, channel, writer, "
                     "length, kind); [] skips the check",
    "synthetic_seed": "seed of the synthetic generator",
    "evasion_seed": "seed of the evasive rewrites used to measure robustness",
    "n_jobs": "parallel fits (processes); keep it at or below your free cores",
    "output": 'model directory to write when --output is not given ("" = --output is required)',
}
STYLE_AXES = ("era", "channel", "writer", "length", "kind")
EXTRA_KEYS = {"path": str, "text_field": str, "label_field": str, "elements_field": str, "name": str}


def _valid_fold_rules(rules: list) -> bool:
    try:
        parse_fold_rules(rules)
    except ValueError:
        return False
    return True


def _known_perturbations(kinds: list) -> bool:
    from mlmrisk.training.perturb import PERTURBATIONS

    return all(isinstance(k, str) and k in PERTURBATIONS for k in kinds)


def _power_of_two(value: int) -> bool:
    return value >= 2 and not value & (value - 1)


#: field → (check, what is expected). Fields not listed accept any value of their type.
RANGES: dict[str, tuple[typing.Callable[[typing.Any], bool], str]] = {
    "labelled_weight": (lambda v: v > 0, "a number > 0"),
    "written_weight": (lambda v: v > 0, "a number > 0"),
    "synthetic_n": (lambda v: v >= 0, "a whole number ≥ 0"),
    "synthetic_positive_fraction": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "synthetic_boilerplate": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "char_orders": (lambda v: len(v) > 0 and all(1 <= n <= 8 for n in v), "a non-empty list of orders in 1..8"),
    "pinyin_orders": (lambda v: all(1 <= n <= 5 for n in v), "a list of orders in 1..5"),
    "pinyin_fold": (_valid_fold_rules, "a list of rules like \"zh-=z-\" (initial) or \"-ing=-in\" (final)"),
    "bucket_bits": (lambda v: 8 <= v <= 26, "a whole number in 8..26"),
    "window": (_power_of_two, "a power of two ≥ 2"),
    "sentence_min_chars": (lambda v: v >= 0, "a whole number ≥ 0"),
    "sentence_discount": (lambda v: 0 <= v < 1e6, "a number ≥ 0"),
    "sentence_instances": (lambda v: v in SENTENCE_INSTANCES, " or ".join(f'"{v}"' for v in SENTENCE_INSTANCES)),
    "min_norm": (lambda v: v > 0, "a number > 0"),
    "max_chars": (lambda v: v >= 16, "a whole number ≥ 16"),
    "C_grid": (lambda v: len(v) > 0 and all(c > 0 for c in v), "a non-empty list of numbers > 0"),
    "element_C": (lambda v: v > 0, "a number > 0"),
    "min_df": (lambda v: v >= 1, "a whole number ≥ 1"),
    "n_folds": (lambda v: 2 <= v <= 20, "a whole number in 2..20"),
    "discussion_kinds": (lambda v: all(isinstance(k, str) and k.strip() for k in v), "a list of non-empty kind names"),
    "discussion_C": (lambda v: v > 0, "a number > 0"),
    "discussion_quantile": (lambda v: 0 < v < 1, "a number in (0, 1)"),
    "discussion_weight": (lambda v: v >= 0, "a number ≥ 0"),
    "discussion_boilerplate": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "max_benign_fpr": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "min_precision": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "watch_ratio": (lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "style_holdout": (lambda v: set(v) <= set(STYLE_AXES), f"a list drawn from {', '.join(STYLE_AXES)}"),
    "n_jobs": (lambda v: v >= 1, "a whole number ≥ 1"),
    "latin_post_share": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "train_rewrites": (_known_perturbations, "a list of kinds from training/perturb.py (PERTURBATIONS)"),
    "train_rewrite_share": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "solver_tol": (lambda v: 0 < v < 1, "a number in (0, 1)"),
}
#: Optional string fields: "" in the file means None; ``shared_data = "default"`` means the default folder.
MIN_TRAIN_ROWS = 20
MIN_PER_CLASS = 5


class ConfigError(MlmriskError):
    """A setting of a training configuration is unknown, of the wrong type or out of range."""


def field_section() -> dict[str, str]:
    return {name: section for section, names in SECTIONS.items() for name in names}


def _hints() -> dict[str, typing.Any]:
    return typing.get_type_hints(TrainConfig)


def _describe(hint: typing.Any) -> str:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is list:
        return f"a list of {_describe(args[0]).removeprefix('a ')}s" if args else "a list"
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in args if a is not type(None)]
        return f'{_describe(inner[0])} ("" for none)'
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false", dict: "a table"}.get(
        hint, str(hint))


def _coerce(name: str, value: typing.Any, hint: typing.Any, where: str) -> typing.Any:
    """``value`` as the type ``hint`` of field ``name``, or a ConfigError saying what was expected."""
    def bad() -> ConfigError:
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, (dict, list)) else repr(value)
        return ConfigError(f"{where}: {name} must be {_describe(hint)}, got {shown}")

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in args if a is not type(None)][0]
        if value is None or value == "":
            return None
        return _coerce(name, value, inner, where)
    if origin is list:
        if not isinstance(value, list):
            raise bad()
        item = args[0] if args else typing.Any
        try:
            return [_coerce(name, v, item, where) for v in value]
        except ConfigError:
            if item is dict:  # the entry's own message says which key is wrong
                raise
            raise bad() from None
    if hint is bool:
        if not isinstance(value, bool):
            raise bad()
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad()
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise bad()
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise bad()
        return value
    if hint is dict:  # an extra_data entry
        if not isinstance(value, dict):
            raise bad()
        unknown = sorted(set(value) - set(EXTRA_KEYS))
        if unknown:
            raise ConfigError(f"{where}: {name} entry has unknown key {unknown[0]!r}; expected keys "
                              f"{', '.join(EXTRA_KEYS)}")
        if "path" not in value:
            raise ConfigError(f"{where}: {name} entry {value!r} needs a path")
        for key, v in value.items():
            if not isinstance(v, str):
                raise ConfigError(f"{where}: {name}.{key} must be a string, got {v!r}")
        return {k: (v or None) if k == "elements_field" else v for k, v in value.items()}
    return value


def check_value(name: str, value: typing.Any, where: str = "config") -> typing.Any:
    """The checked, typed value of TrainConfig field ``name``."""
    hints = _hints()
    if name not in hints:
        raise ConfigError(f"{where}: unknown setting {name!r}; expected one of {', '.join(hints)}")
    value = _coerce(name, value, hints[name], where)
    if value is not None and name in RANGES:
        check, expected = RANGES[name]
        if not check(value):
            raise ConfigError(f"{where}: {name} must be {expected}, got {json.dumps(value)}")
    return value


def _parse_value(raw: str) -> typing.Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def config_from_mapping(tables: Mapping, where: str = "config") -> dict[str, typing.Any]:
    """Checked field values from a parsed TOML document (sections → keys)."""
    values: dict[str, typing.Any] = {}
    for section, body in tables.items():
        if section not in SECTIONS:
            raise ConfigError(f"{where}: unknown section [{section}]; expected one of "
                              f"{', '.join(f'[{s}]' for s in SECTIONS)}")
        if not isinstance(body, Mapping):
            raise ConfigError(f"{where}: [{section}] must be a table of settings, got {body!r}")
        for key, value in body.items():
            if key not in SECTIONS[section]:
                home = field_section().get(key)
                hint = f" (it lives in [{home}])" if home else ""
                raise ConfigError(f"{where}: unknown setting {section}.{key}{hint}; [{section}] holds "
                                  f"{', '.join(SECTIONS[section])}")
            values[key] = check_value(key, value, f"{where} [{section}]")
    return values


def apply_overrides(values: dict, overrides: Sequence[str]) -> dict:
    """``section.key=value`` or ``key=value`` strings applied to ``values`` (checked like the file)."""
    homes = field_section()
    values = dict(values)
    for assignment in overrides:
        name, sep, raw = assignment.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--set {assignment!r}: expected SECTION.KEY=VALUE, e.g. --set fit.n_folds=3")
        section, dot, key = name.rpartition(".")
        if not dot:
            key = section = name
            section = homes.get(key, "")
        if key not in homes:
            raise ConfigError(f"--set {assignment!r}: unknown setting {name!r}; expected one of "
                              f"{', '.join(f'{homes[k]}.{k}' for k in homes)}")
        if homes[key] != section:
            raise ConfigError(f"--set {assignment!r}: {key} lives in [{homes[key]}], not [{section}]; "
                              f"use --set {homes[key]}.{key}=…")
        values[key] = check_value(key, _parse_value(raw.strip()), f"--set {name}")
    return values


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> TrainConfig:
    """The TrainConfig of a TOML file (``None``: the defaults) with ``--set`` overrides applied."""
    values: dict[str, typing.Any] = {}
    if path is not None:
        path = Path(path)
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist; write one with `mlmrisk init-config {path}`") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not readable UTF-8 text ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        values = config_from_mapping(document, str(path))
    values = apply_overrides(values, overrides)
    if values.get("shared_data") == "default":
        from mlmrisk.training.data import DEFAULT_SHARED_DATA

        values["shared_data"] = str(DEFAULT_SHARED_DATA)
    if path is not None:  # relative data paths in a file are relative to the file
        base = Path(path).resolve().parent
        for key in ("shared_data", "written_data", "discussion_data"):
            if values.get(key) and values[key] != "default" and not Path(values[key]).is_absolute():
                values[key] = str(base / values[key])
        for entry in values.get("extra_data", []):
            if not Path(entry["path"]).is_absolute():
                entry["path"] = str(base / entry["path"])
    if values.get("sentence_discount", 0) and not values.get("sentence_min_chars", 0):
        raise ConfigError(f"sentence_discount = {values['sentence_discount']} needs sentence passages: set "
                          "sentence_min_chars (e.g. 8) in [features], or sentence_discount = 0")
    return TrainConfig(**values)


# ---------------------------------------------------------------------------------------------------- writing
def _toml_value(value: typing.Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items() if v is not None) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def dump_config(config: TrainConfig | None = None, *, header: str = "", default_paths: bool = False) -> str:
    """The configuration as commented TOML (one comment per setting).

    ``default_paths``: write ``shared_data = "default"`` when it is the default folder (``init-config``, so the
    file works on any machine); otherwise the resolved path is written.
    """
    from mlmrisk.training.data import DEFAULT_SHARED_DATA

    config = config or TrainConfig()
    values = dataclasses.asdict(config)
    lines = [f"# {line}" if line else "#" for line in header.splitlines()] if header else []
    for section, names in SECTIONS.items():
        lines += ["", f"# {SECTION_DOCS[section]}", f"[{section}]"]
        for name in names:
            value = values[name]
            if name == "shared_data" and default_paths and value == str(DEFAULT_SHARED_DATA):
                value = "default"
            lines.append(f"# {DOCS[name]}")
            lines.append(f"{name} = {_toml_value(value)}")
    return "\n".join(lines).lstrip("\n") + "\n"


INIT_HEADER = """mlmrisk training configuration (`mlmrisk train THIS_FILE --output DIR`).
Every setting of a run is here; `--set section.key=value` overrides one for a run.
Relative paths are relative to this file. The resolved configuration is written beside the model (config.toml)."""


def write_default_config(path: Path, force: bool = False) -> Path:
    path = Path(path)
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; choose another path or add --force to replace it")
    path.write_text(dump_config(TrainConfig(), header=INIT_HEADER, default_paths=True), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------- provenance
def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_hashes(paths: Sequence[Path]) -> dict[str, str]:
    """{path: SHA-256} of every input file that exists."""
    return {str(p): sha256_of(Path(p)) for p in paths if Path(p).is_file()}


def check_training_rows(labels: Sequence[int], where: str = "training data") -> None:
    """Refuse to fit on too little data: at least ``MIN_TRAIN_ROWS`` rows and ``MIN_PER_CLASS`` of each class."""
    n = len(labels)
    positives = int(sum(1 for v in labels if v))
    negatives = n - positives
    if n < MIN_TRAIN_ROWS or positives < MIN_PER_CLASS or negatives < MIN_PER_CLASS:
        raise ConfigError(f"{where}: too little labelled data to fit ({n} rows, {positives} positive, {negatives} "
                          f"negative); expected at least {MIN_TRAIN_ROWS} rows with at least {MIN_PER_CLASS} of "
                          "each class: add labelled files (--data) or synthetic posts (mix.synthetic_n)")
