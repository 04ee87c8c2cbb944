"""Calls that older notebooks make and that the sandbox's pinned libraries removed.

A real-world notebook written two years ago often stops on one of these. The execution check uses this table to
say in plain words that the notebook was written for an older version, which call broke and what replaces it,
instead of leaving the reviewer with a traceback. Each pattern is matched against "ErrorName: message" as the
kernel reported it (the messages are the libraries' own, checked by tests/test_removed_apis.py against the
installed versions).
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Removal:
    call: str          # what the notebook wrote
    library: str
    removed_in: str    # first version without it
    instead: str       # what works today

    def sentence(self) -> str:
        return (f"It was written for an older {self.library}: {self.call} was removed in {self.library} "
                f"{self.removed_in} (today: {self.instead}).")


def _kw(owner: str, keyword: str) -> str:
    return rf"{owner}.*unexpected keyword argument '{keyword}'"


_TABLE: list[tuple[str, Removal]] = [
    (_kw("OneHotEncoder", "sparse"), Removal("OneHotEncoder(sparse=...)", "scikit-learn", "1.4", "sparse_output=...")),
    (r"has no attribute 'get_feature_names'", Removal("get_feature_names()", "scikit-learn", "1.2",
                                                        "get_feature_names_out()")),
    (r"'penalty' parameter .* Got 'none'", Removal("penalty='none'", "scikit-learn", "1.4", "penalty=None")),
    (r"'max_features' parameter .* Got 'auto'", Removal("max_features='auto'", "scikit-learn", "1.3",
                                                         "max_features='sqrt' (classifiers) or 1.0 (regressors)")),
    (_kw("LogisticRegression", "multi_class"), Removal("LogisticRegression(multi_class=...)", "scikit-learn", "1.8",
                                                       "the default multinomial model, or OneVsRestClassifier")),
    (_kw("", "normalize"), Removal("normalize=True in linear models", "scikit-learn", "1.2",
                                   "a StandardScaler in a Pipeline")),
    (_kw("", "base_estimator"), Removal("base_estimator=...", "scikit-learn", "1.4", "estimator=...")),
    (_kw("AdaBoost", "algorithm"), Removal("AdaBoostClassifier(algorithm=...)", "scikit-learn", "1.8",
                                           "no algorithm argument (SAMME is the only one)")),
    (_kw("", "squared"), Removal("mean_squared_error(..., squared=False)", "scikit-learn", "1.6",
                                 "root_mean_squared_error(...)")),
    (_kw("", "fit_params"), Removal("cross_val_score(..., fit_params=...)", "scikit-learn", "1.6", "params=...")),
    (_kw("", "iid"), Removal("GridSearchCV(iid=...)", "scikit-learn", "0.24", "no iid argument")),
    (r"cannot import name '(plot_confusion_matrix|plot_roc_curve|plot_precision_recall_curve)'",
     Removal("sklearn.metrics.plot_* functions", "scikit-learn", "1.2",
             "ConfusionMatrixDisplay / RocCurveDisplay / PrecisionRecallDisplay.from_estimator")),
    (r"load_boston", Removal("load_boston", "scikit-learn", "1.2", "another data set, e.g. fetch_california_housing")),
    (r"cannot import name 'joblib' from 'sklearn.externals'", Removal("sklearn.externals.joblib", "scikit-learn",
                                                                      "0.23", "import joblib")),
    (r"No module named 'sklearn\.(cross_validation|grid_search|learning_curve)'",
     Removal("sklearn.cross_validation / grid_search", "scikit-learn", "0.20", "sklearn.model_selection")),
    (r"cannot import name 'Imputer'", Removal("sklearn.preprocessing.Imputer", "scikit-learn", "0.22",
                                              "sklearn.impute.SimpleImputer")),
    (r"cannot import name 'SCORERS'", Removal("sklearn.metrics.SCORERS", "scikit-learn", "1.3",
                                              "sklearn.metrics.get_scorer_names()")),
    (r"'(DataFrame|Series)' object has no attribute 'append'", Removal("DataFrame.append / Series.append", "pandas",
                                                                       "2.0", "pd.concat([...])")),
    (r"'(DataFrame|Series)' object has no attribute 'iteritems'", Removal("iteritems()", "pandas", "2.0",
                                                                          "items()")),
    (r"'DataFrame' object has no attribute 'applymap'", Removal("DataFrame.applymap", "pandas", "3.0",
                                                                "DataFrame.map")),
    (r"'(DataFrame|Series)' object has no attribute 'ix'", Removal(".ix[...]", "pandas", "1.0", ".loc / .iloc")),
    (_kw("fillna", "method"), Removal("fillna(method=...)", "pandas", "3.0", "ffill() / bfill()")),
    (_kw("read_csv", "(delim_whitespace|error_bad_lines|warn_bad_lines)"),
     Removal("read_csv(delim_whitespace= / error_bad_lines=)", "pandas", "2.0-3.0", "sep=r'\\s+' / on_bad_lines=")),
    (_kw("groupby", "axis"), Removal("groupby(axis=...)", "pandas", "3.0", "transpose the frame first")),
    (r"'M' is no longer supported for offsets", Removal("frequency 'M'", "pandas", "3.0", "'ME' (month end)")),
    (r"XGB\w*\.fit\(\) got an unexpected keyword argument '(early_stopping_rounds|eval_metric|callbacks)'",
     Removal("XGBClassifier/XGBRegressor.fit(early_stopping_rounds= / eval_metric= / callbacks=)", "xgboost", "2.1",
             "the same arguments to the constructor, e.g. XGBClassifier(early_stopping_rounds=10)")),
    (r"LGBM\w*\.fit\(\) got an unexpected keyword argument '(early_stopping_rounds|verbose)'|"
     r"\btrain\(\) got an unexpected keyword argument '(early_stopping_rounds|verbose_eval)'",
     Removal("LightGBM fit(early_stopping_rounds= / verbose=) and lightgbm.train(early_stopping_rounds= / "
             "verbose_eval=)", "LightGBM", "4.0",
             "callbacks=[lightgbm.early_stopping(10), lightgbm.log_evaluation(0)]")),
    (_kw("boxplot", "labels"), Removal("boxplot(labels=...)", "matplotlib", "3.11", "tick_labels=...")),
    (r"'seaborn[\w-]*' is not a valid package style", Removal("plt.style.use('seaborn...')", "matplotlib", "3.8",
                                                             "'seaborn-v0_8' (or the same name with -v0_8)")),
    (r"module 'numpy' has no attribute '(float|int|bool|object|str|long|unicode)'\.",
     Removal("np.float / np.int / np.bool / np.object", "NumPy", "1.24", "float / int / bool / object")),
    (r"`np\.\w+` was removed in the NumPy 2\.0 release", Removal("an alias removed from NumPy 2.0 (np.NaN, np.Inf, "
                                                                 "np.float_, ...)", "NumPy", "2.0",
                                                                 "what the error message names")),
    (r"module 'numpy' has no attribute '(product|cumproduct|alltrue|sometrue|row_stack|trapz|in1d)'",
     Removal("np.product / np.cumproduct / np.alltrue / np.sometrue", "NumPy", "2.0",
             "np.prod / np.cumprod / np.all / np.any")),
]
_COMPILED = [(re.compile(pattern, re.DOTALL), removal) for pattern, removal in _TABLE]


def removed_api(error_name: str | None, error_value: str | None) -> Removal | None:
    """The removed call behind an error the kernel reported, or None when it is not one we know."""
    if not error_value:
        return None
    text = f"{error_name or ''}: {error_value}"[:4000]
    return next((removal for pattern, removal in _COMPILED if pattern.search(text)), None)
