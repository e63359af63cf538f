"""Linear heads over the hashed TF-IDF features: the overall MLM head and one head per legal element.

Each head is an L2-regularised logistic regression followed by sigmoid (Platt) calibration,
p = 1 / (1 + exp(-(slope · z + offset))) with z the head's decision value. Calibration parameters are fitted on
out-of-fold decision values (``calibrate``), as ``CalibratedClassifierCV(method="sigmoid", ensemble=False)``
does, so that one linear model per head plus one sigmoid is all the ONNX graph needs (docs/design_facts.md §1: sigmoid
calibration converts exactly, isotonic does not).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from mlmrisk.classifier.labels import HEADS


#: iteration bound of the project's linear fits (heads and guard); the run's ``solver_tol`` decides where the
#: solver stops before it
SOLVER_MAX_ITER = 2000
#: the solver tolerance models up to 2.4.0 were fitted with (scikit-learn's default; ``TrainConfig.solver_tol``)
DEFAULT_SOLVER_TOL = 1e-4


class LinearHeads(ClassifierMixin, BaseEstimator):
    """One logistic regression per column of ``Y`` (column 0 = MLM, then the elements in ``HEADS`` order).

    Element heads are fitted on the MLM-positive rows only (``Y[:, 0] == 1``): an element probability answers
    "which legal form does this promotion take?", P(element | promotion). Fitted on every row, they mostly learned
    "promotion or not" again and were too timid on real positives. Levels use elements of flagged posts only.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the MLM head.
    element_C : float or None
        Inverse regularisation strength of the element heads (None: same as ``C``).
    class_weight : "balanced" or None
        Passed to every head: positives are rare in real data.
    max_iter : int
        Solver iterations per head.
    tol : float
        lbfgs' gradient tolerance (scikit-learn's ``tol``). scikit-learn minimises the MEAN weighted loss, so a
        bucket seen in a handful of a hundred thousand posts has a gradient below the default 1e-4 from the first
        step: the fit stops after ~30 iterations with rare pitch n-grams barely moved from zero, and which ones
        moved depends on the path (on one fold, 40 random benign rows fewer moved ChineseHarm AP 0.81 → 0.88).
        At 1e-7 the fit reaches the regularised optimum (docs/training.md, "Solver tolerance").
    min_df : int
        Only buckets present in at least this many of a head's training posts get a weight (others stay 0). Rare n-grams
        cannot generalise, and dropping them cuts the solver's working set roughly in half (sparse products over
        a million random columns are memory-bound here).
    """

    _parameter_constraints: dict = {}

    def __init__(self, C: float = 4.0, element_C: float | None = None, class_weight=None,
                 max_iter: int = SOLVER_MAX_ITER, min_df: int = 3, tol: float = DEFAULT_SOLVER_TOL):
        self.C = C
        self.element_C = element_C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.min_df = min_df
        self.tol = tol

    def fit(self, X, Y, sample_weight=None) -> "LinearHeads":
        Y = np.asarray(Y)
        if Y.ndim == 1:
            Y = Y[:, None]
        if Y.shape[1] > len(HEADS):
            raise ValueError(f"Y has {Y.shape[1]} columns; at most {len(HEADS)} heads ({', '.join(HEADS)})")
        X = X.tocsr()
        coefs, intercepts = [], []
        positive = np.flatnonzero(Y[:, 0] == 1)
        for k in range(Y.shape[1]):
            C = self.C if k == 0 or self.element_C is None else self.element_C
            rows = np.arange(Y.shape[0]) if k == 0 or Y.shape[1] == 1 else positive
            y = Y[rows, k]
            if y.min() == y.max():
                # A head with one class only (tiny data sets): a constant, very confident score.
                coefs.append(np.zeros(X.shape[1]))
                intercepts.append(8.0 if y[0] else -8.0)
                continue
            model = LogisticRegression(C=C, solver="lbfgs", class_weight=self.class_weight, max_iter=self.max_iter,
                                       tol=self.tol)
            with warnings.catch_warnings():
                # A fit that stops at max_iter is reported nowhere else; the run's tol (above) decides how close
                # to the optimum the fit gets, max_iter only bounds the time.
                warnings.simplefilter("ignore", ConvergenceWarning)
                weights = None if sample_weight is None else np.asarray(sample_weight)[rows]
                # min_df counts the rows this head learns from, so a head fitted alone (as in
                # cross-validation) and a head fitted here select the same buckets.
                X_rows = X[rows]
                X_rows.eliminate_zeros()
                columns = np.flatnonzero(np.diff(X_rows.tocsc().indptr) >= self.min_df)
                model.fit(X_rows[:, columns], y, sample_weight=weights)
            coef = np.zeros(X.shape[1])
            coef[columns] = model.coef_.ravel()
            coefs.append(coef)
            intercepts.append(float(model.intercept_[0]))
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.asarray(intercepts)
        self.n_heads_ = Y.shape[1]
        self.classes_ = np.array([0, 1])
        if not hasattr(self, "calibration_slope_"):
            self.calibration_slope_ = np.ones(self.n_heads_)
            self.calibration_offset_ = np.zeros(self.n_heads_)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Raw decision values z, one column per head."""
        check_is_fitted(self, "coef_")
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def calibrate(self, decision_values: np.ndarray, Y: np.ndarray) -> "LinearHeads":
        """Fit the per-head sigmoid on out-of-fold decision values (Platt scaling, with Platt's target smoothing)."""
        slopes, offsets = fit_sigmoid_calibration(decision_values, Y)
        self.calibration_slope_ = slopes
        self.calibration_offset_ = offsets
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probability of every head, shape [n, n_heads] (column 0 = MLM)."""
        z = self.decision_function(X)
        return 1.0 / (1.0 + np.exp(-(z * self.calibration_slope_ + self.calibration_offset_)))

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 0] >= 0.5).astype(int)


def fit_sigmoid_calibration(decision_values: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column, (slope, offset) maximising the likelihood of Platt's smoothed targets."""
    from sklearn.calibration import _SigmoidCalibration

    decision_values = np.atleast_2d(np.asarray(decision_values, dtype=np.float64))
    Y = np.asarray(Y).reshape(decision_values.shape)
    slopes, offsets = [], []
    for k in range(decision_values.shape[1]):
        y = Y[:, k]
        if y.min() == y.max():
            slopes.append(1.0)
            offsets.append(0.0)
            continue
        calibrator = _SigmoidCalibration().fit(decision_values[:, k], y)
        # scikit-learn's sigmoid is 1 / (1 + exp(a·z + b)).
        slopes.append(-float(calibrator.a_))
        offsets.append(-float(calibrator.b_))
    return np.asarray(slopes), np.asarray(offsets)
