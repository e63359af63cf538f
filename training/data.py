"""The data recipe: which corpora, how they are cleaned, deduplicated and split. Loading goes through ``datasets``.

Recipe over ``../shared/data`` (see its data card); every decision here is also in ``docs/data_recipe.md``:

- ``labelled`` corpora (ChineseHarm, and any file a user passes to ``mlmrisk train --data``): MLM label 1/0;
  borderline (``mlm`` = 2) is left out. They are used for training AND evaluated only out-of-fold: every record
  gets one of ``n_folds`` grouped folds (positives spread round-robin so each fold has some).
- ``benign`` and ``negative`` corpora (weibo2018, tnews, online_shopping, mudou SMS; CAIL facts, telecom fraud):
  label 0; 30 % of their groups are held out (``split = heldout``), never trained on, and used for false-positive
  rates. The telecom-fraud corpus's placeholder tokens (PLACE, DIGIT, NAME, CELLPHONE) are removed so the model
  cannot learn them as a class cue.
- ``eval`` corpora (the laws): never trained on.
- synthetic posts (``training/synthetic.py``): positives and hard negatives; 20 % of their templates are held out.
- ``written`` corpus (``data/written/*.jsonl``, the project's own): posts written for the project by independent
  writers, each promotion with a matched hard negative from the same era/channel/register cell. Role
  ``written``: trained on, and evaluated by leaving whole styles out (era, channel, writer: ``training/fit.py``),
  never by random rows. A matched pair is one group, so a promotion and its hard negative stay on one side.

Deduplication: texts are normalised with the model's own normaliser; duplicates of the normalised text are
dropped, keeping the first (corpora are read in the order above, so a labelled copy wins). The normalised text
folds digits to 0 and drops punctuation and spaces, so posts that differ only in amounts are one text (交399元 and
交1980元): the model could not tell them apart either. Dropped records whose label differs from the kept one are
counted apart (``Corpus.conflicts``; logged and in the manifest's ``data.duplicates_with_the_other_label``).
Near-duplicates share a ``group``: the first and last 16 Chinese characters of the normalised text (template SMS that differ only
in numbers, names or links collapse into one group). Splits and folds are assigned per group, so the same text or
template never sits on both sides of a split.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlmrisk.classifier.errors import DataNotFoundError, InputFormatError
from mlmrisk.classifier.labels import ELEMENTS
from mlmrisk.classifier.normalize import CLASS_CJK, NormalizerTables, normalize_batch

def default_shared_data() -> Path:
    """Where the shared real corpora are looked for when no path is given.

    ``$MLMRISK_SHARED_DATA`` if set; else ``../shared/data`` beside the checkout when running from one (an
    editable install); else ``../shared/data`` relative to the working directory (an installed wheel lives in
    site-packages, far from any checkout).
    """
    override = os.environ.get("MLMRISK_SHARED_DATA")
    if override:
        return Path(override)
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout.parent / "shared" / "data"
    return Path.cwd().parent / "shared" / "data"


DEFAULT_SHARED_DATA = default_shared_data()
HELDOUT_FRACTION = 0.3
SYNTHETIC_HELDOUT_FRACTION = 0.2
TELECOM_PLACEHOLDERS = re.compile(r"PLACE|DIGIT|NAME|CELLPHONE")


@dataclass(frozen=True)
class CorpusSpec:
    """One input file and how to read it."""

    name: str
    path: Path
    role: str  # labelled | benign | negative | eval | written | discussion (training/fit.py)
    text_field: str = "text"
    label_field: str | None = None  # None: every record is label 0
    elements_field: str | None = None
    strip_placeholders: bool = False
    exclude_labels: tuple = ()  # values of label_field to leave out (e.g. borderline)
    category_field: str | None = None  # the source's own class (ChineseHarm: 欺诈, 不违规, …), kept for reports
    group_field: str | None = None  # records sharing ``min(id, group_field)`` form one group (written pairs)
    style_fields: tuple[str, ...] = ()  # kept per record for leave-one-style-out validation (era, channel, writer)


def shared_corpora(root: Path) -> list[CorpusSpec]:
    """The default recipe over the shared data folder."""
    return [
        CorpusSpec("chineseharm", root / "labelled/chineseharm_dev.jsonl", "labelled", label_field="mlm",
                   elements_field="elements", exclude_labels=(2,), category_field="label"),
        CorpusSpec("weibo2018", root / "negatives/weibo2018.jsonl", "benign"),
        CorpusSpec("tnews", root / "negatives/tnews_dev.jsonl", "benign"),
        CorpusSpec("online_shopping", root / "negatives/online_shopping_10cats.jsonl", "benign"),
        CorpusSpec("mudou_sms", root / "negatives/mudou_spam_sms.jsonl", "benign"),
        CorpusSpec("cail2018", root / "negatives/cail2018_facts.jsonl", "negative"),
        CorpusSpec("telecom_fraud", root / "hard_negatives/telecom_fraud_texts5.jsonl", "negative",
                   strip_placeholders=True),
        CorpusSpec("laws", root / "hard_negatives/laws.jsonl", "eval"),
    ]


STYLE_FIELDS = ("era", "channel", "writer", "length", "kind")


#: role of the posts that train the discussion guard only (``discussion_corpora``, stock-line copies)
GUARD_ONLY = "discussion"


def _writer_files(role: str, root: Path | None, default: str) -> list[CorpusSpec]:
    """One spec per writer file (record format of ``data/written``) under ``root`` or ``data/<default>``."""
    from mlmrisk.resources import data_path

    folder = Path(root) if root is not None else data_path(default)
    setting = "discussion_data" if role == GUARD_ONLY else "written_data"
    if not folder.is_dir():  # a mistyped path must not quietly train a model without the data
        raise DataNotFoundError(f"{setting}: {folder} is not a folder; give a folder of *.jsonl writer files, "
                                f'or {setting} = "" for none')
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise DataNotFoundError(f'{setting}: {folder} holds no *.jsonl files; {setting} = "" trains without it')
    return [CorpusSpec(role, path, role, label_field="label", elements_field="elements", group_field="pair",
                       style_fields=STYLE_FIELDS)
            for path in files]


def written_corpora(root: Path | None = None) -> list[CorpusSpec]:
    """The project's written corpus: one spec per writer file under ``data/written`` (or ``root``)."""
    return _writer_files("written", root, "written")


def discussion_corpora(root: Path | None = None) -> list[CorpusSpec]:
    """Posts that train the discussion guard only (``TrainConfig.discussion_data``): written-corpus records under
    ``data/written_discussion`` (or ``root``), texts that talk ABOUT schemes paired with pitches in their
    register. Role ``discussion``: never rows of the five heads, their idf, calibration or thresholds
    (``head_training_rows``; why in docs/training.md, "Texts about schemes")."""
    return _writer_files(GUARD_ONLY, root, "written_discussion")


def head_training_rows(split: np.ndarray, role: np.ndarray) -> np.ndarray:
    """Indices of the rows the five heads train on: the training split without the guard-only posts. The one
    place of that rule for ``train``, ``benchmarks/compare_fits.py`` and ``benchmarks/simulate_review.py``."""
    return np.flatnonzero((np.asarray(split) == "train") & (np.asarray(role) != GUARD_ONLY))


@dataclass
class Corpus:
    """Column-oriented records (all lists have one entry per record)."""

    text: list[str] = field(default_factory=list)
    label: list[int] = field(default_factory=list)
    elements: list[tuple[str, ...]] = field(default_factory=list)
    corpus: list[str] = field(default_factory=list)
    role: list[str] = field(default_factory=list)
    original_label: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    style: list[dict] = field(default_factory=list)  # era/channel/writer/… of written records, {} elsewhere
    group: list[str] = field(default_factory=list)
    split: list[str] = field(default_factory=list)  # train | heldout | eval
    fold: list[int] = field(default_factory=list)  # -1 outside training
    duplicates: dict[str, int] = field(default_factory=dict)  # records dropped as duplicates, per corpus
    # of those, records whose label differs from the record kept for the same normalised text, per corpus
    conflicts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # records without a usable text, per corpus

    def __len__(self) -> int:
        return len(self.text)

    def append(self, **values) -> None:
        for key, value in values.items():
            getattr(self, key).append(value)

    def array(self, name: str) -> np.ndarray:
        return np.asarray(getattr(self, name))

    def element_matrix(self) -> np.ndarray:
        """[n, 4] 0/1 matrix of elements in ``ELEMENTS`` order."""
        out = np.zeros((len(self), len(ELEMENTS)), dtype=np.int64)
        for i, elements in enumerate(self.elements):
            for element in elements:
                out[i, ELEMENTS.index(element)] = 1
        return out

    def summary(self) -> dict:
        """Counts per corpus, split and label (goes into the manifest and the model card)."""
        counts: dict[str, dict[str, int]] = {}
        for corpus, split, label in zip(self.corpus, self.split, self.label):
            entry = counts.setdefault(corpus, {})
            key = f"{split}_{'pos' if label else 'neg'}"
            entry[key] = entry.get(key, 0) + 1
        return counts


def _stable_hash(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big")


def load_records(spec: CorpusSpec) -> list[dict]:
    """Read one file through ``datasets`` (JSON lines, CSV or Parquet by suffix)."""
    if not spec.path.is_file():
        raise DataNotFoundError(f"{spec.name}: {spec.path} does not exist")
    suffix = spec.path.suffix.lower()
    builder = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}.get(suffix)
    if builder is None:
        raise InputFormatError(f"{spec.path}: unknown data format {suffix!r}; use .jsonl, .json, .csv or .parquet")
    if spec.path.stat().st_size == 0:
        raise InputFormatError(f"{spec.path}: the file is empty; expected labelled records ({suffix})")
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    try:
        table = datasets.load_dataset(builder, data_files=str(spec.path), split="train")
    except Exception as exc:  # datasets wraps parser errors in many types; their own message can be empty
        inner = exc.__cause__ or exc.__context__
        cause = (str(inner).strip() if inner is not None else "") or str(exc).strip() or type(exc).__name__
        raise InputFormatError(f"{spec.path}: cannot be read as {builder}: {cause}") from exc
    wanted = [f for f in (spec.text_field, spec.label_field, spec.elements_field, spec.category_field,
                          spec.group_field, "id" if spec.group_field else None, *spec.style_fields) if f]
    missing = [f for f in wanted if f not in table.column_names]
    if missing:
        raise InputFormatError(
            f"{spec.path}: no field {', '.join(missing)} (fields: {', '.join(table.column_names)}); "
            "map fields with --text-field/--label-field/--elements-field"
        )
    columns = {f: table[f] for f in wanted}
    return [{f: columns[f][i] for f in wanted} for i in range(len(table))]


def _label(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value.lower() in ("1", "true", "yes", "mlm", "pos", "positive"):
            return 1
        if value.lower() in ("0", "false", "no", "neg", "negative"):
            return 0
        return None
    if isinstance(value, (bool, int, float)) and value in (0, 1):
        return int(value)
    return None


def build_corpus(specs: Sequence[CorpusSpec], tables: NormalizerTables, synthetic: Iterable[dict] = (),
                 n_folds: int = 5, keep_all: Collection[str] = ()) -> Corpus:
    """Read, clean, deduplicate and split everything (see the module docstring).

    Corpora named in ``keep_all`` keep EVERY record (no deduplication, blank texts kept): ``mlmrisk evaluate
    --data mine.csv`` scores and counts each row of the user's file. Deduplication is for training only; the
    number of records it dropped per corpus is in ``Corpus.duplicates`` (and the training log and manifest).
    """
    raw: list[tuple[CorpusSpec, str, int, tuple[str, ...], str, str, str | None, dict]] = []
    skipped: dict[str, int] = {}
    for spec in specs:
        keep = spec.name in keep_all
        for record in load_records(spec):
            text = record.get(spec.text_field)
            if not isinstance(text, str) or (not text.strip() and not keep):
                skipped[spec.name] = skipped.get(spec.name, 0) + 1
                continue
            if spec.strip_placeholders:
                text = TELECOM_PLACEHOLDERS.sub("", text)
            if spec.label_field:
                original = record.get(spec.label_field)
                if original in spec.exclude_labels:
                    continue
                label = _label(original)
                if label is None:
                    raise InputFormatError(f"{spec.path}: label {original!r} is not 0/1")
            else:
                original, label = None, 0
            elements = tuple(record.get(spec.elements_field) or ()) if spec.elements_field else ()
            category = str(record.get(spec.category_field, "")) if spec.category_field else ""
            group = None
            if spec.group_field:
                linked = record.get(spec.group_field)
                own = record.get("id")
                group = f"{spec.name}:{min(str(own), str(linked))}" if linked and own else None
            style = {f: str(record.get(f)) for f in spec.style_fields if record.get(f) is not None}
            raw.append((spec, text, label, elements if label else (), str(original), category, group, style))
    synthetic_spec = CorpusSpec("synthetic", Path("synthetic"), "synthetic")
    for record in synthetic:
        raw.append((synthetic_spec, record["text"], int(record["label"]), tuple(record["elements"]),
                    record["group"], record.get("source", "synthetic"), None, {}))
    keys = _dedup_keys([r[1] for r in raw], tables)
    # A guard-only post (role ``discussion``) never displaces a row of the heads, wherever that row comes in the
    # list: it is the one dropped when any other record has its text, so the heads' rows do not depend on it.
    head_texts = {exact for r, (exact, _) in zip(raw, keys) if r[0].role != GUARD_ONLY}
    seen: set[str] = set()
    seen_guard: set[str] = set()
    kept_label: dict[str, object] = {}
    corpus = Corpus(skipped=skipped)
    for (spec, text, label, elements, original, category, own_group, style), (exact, near) in zip(raw, keys):
        guard_only = spec.role == GUARD_ONLY
        duplicate = (exact in head_texts or exact in seen_guard) if guard_only else exact in seen
        if duplicate and spec.name not in keep_all:
            corpus.duplicates[spec.name] = corpus.duplicates.get(spec.name, 0) + 1
            if exact in kept_label and kept_label[exact] != label:
                corpus.conflicts[spec.name] = corpus.conflicts.get(spec.name, 0) + 1
            continue
        (seen_guard if guard_only else seen).add(exact)
        kept_label.setdefault(exact, label)
        group = own_group or (f"synthetic:{original}" if spec.role == "synthetic" else f"{spec.name}:{near}")
        corpus.append(text=text, label=label, elements=elements, corpus=spec.name, role=spec.role,
                      original_label=original, category=category, group=group, split="", fold=-1, style=style)
    _assign_splits(corpus, n_folds)
    return corpus


def _dedup_keys(texts: Sequence[str], tables: NormalizerTables, batch_size: int = 8192) -> list[tuple[str, str]]:
    keys = []
    for start in range(0, len(texts), batch_size):
        batch = normalize_batch(list(texts[start : start + batch_size]), tables)
        cjk = tables.char_class[batch.codes] == CLASS_CJK
        for i in range(batch.n_docs):
            lo, hi = batch.starts[i], batch.starts[i + 1] - 1
            normalised = batch.text(i)
            chars = batch.codes[lo:hi][cjk[lo:hi]]
            head = "".join(map(chr, chars[:16]))
            tail = "".join(map(chr, chars[-16:]))
            keys.append((normalised, f"{head}|{tail}" if chars.size else normalised[:32]))
    return keys


def _assign_splits(corpus: Corpus, n_folds: int) -> None:
    """Split and fold per group; see the module docstring."""
    positive_groups = sorted(
        {g for g, label, role in zip(corpus.group, corpus.label, corpus.role) if label and role == "labelled"},
        key=_stable_hash,
    )
    positive_fold = {g: i % n_folds for i, g in enumerate(positive_groups)}
    for i, (group, role) in enumerate(zip(corpus.group, corpus.role)):
        h = _stable_hash(group)
        if role == "eval":
            corpus.split[i], corpus.fold[i] = "eval", -1
            continue
        if role in ("benign", "negative") and (h % 1000) < HELDOUT_FRACTION * 1000:
            corpus.split[i], corpus.fold[i] = "heldout", -1
            continue
        if role == "synthetic" and (h % 1000) < SYNTHETIC_HELDOUT_FRACTION * 1000:
            corpus.split[i], corpus.fold[i] = "heldout", -1
            continue
        corpus.split[i] = "train"
        corpus.fold[i] = positive_fold.get(group, (h >> 16) % n_folds)
