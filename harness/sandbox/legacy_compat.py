"""The legacy profile: run in the notebook's kernel, after the kernel hook, only in generic mode.

Notebooks graded in generic mode were written for whatever versions their authors had, often before pandas 3 and
matplotlib 3.8. Four changes of those libraries stop many of them before any model is fitted; this brings back
the old behaviour of each, with the library's own switch where it has one:

- pandas 3 stores text columns as the `str` dtype, so `df.dtypes == 'object'` no longer finds them and the text
  columns reach the model unencoded; pandas' own option `future.infer_string = False` keeps them `object`.
- pandas 2 made `DataFrame.corr()` and `.cov()` fail on text columns, which pandas 1 left out silently
  (`numeric_only`'s old default): the correlation heatmap of a raw table, in most exploratory notebooks. The
  old default is restored for those two methods; a notebook that passes `numeric_only` keeps its choice.
- pandas 3 stopped `replace` from turning the object columns it filled with numbers into numeric columns (pandas 1
  and 2 did; 2 warned): `df['Churn'].replace({'Yes': 1, 'No': 0})` stays `object`, so scikit-learn rejects it as
  a target ("Unknown label type") and `corr()` leaves it out. The old conversion (`infer_objects`) is applied to
  what `replace` returns, or to the frame it changed in place.
- matplotlib 3.8 removed the old names of the seaborn styles (`plt.style.use('seaborn')`), which 3.6 and 3.7 still
  mapped to the renamed `seaborn-v0_8*` styles; the same aliases are registered again.

Exercise mode never runs this: candidates get the sandbox's exact pins as requirements.txt and must run on them
as they are. The report says when a run used this profile. Nothing here touches what the kernel hook traces.
"""
import functools
import warnings


def keep_text_columns_as_object() -> None:
    import pandas

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the option is deprecated (pandas 4 removes it); the report says it is on
        pandas.set_option("future.infer_string", False)


def numeric_only_by_default(method):
    @functools.wraps(method)
    def wrapped(self, *args, numeric_only=True, **kwargs):
        return method(self, *args, numeric_only=numeric_only, **kwargs)
    return wrapped


def correlate_numeric_columns_only() -> None:
    import pandas

    for name in ("corr", "cov"):
        setattr(pandas.DataFrame, name, numeric_only_by_default(getattr(pandas.DataFrame, name)))


def _numeric_objects_converted(frame) -> None:
    """In place, each object column of `frame` whose values infer_objects turns into another dtype (by position,
    so duplicate column names are fine)."""
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if column.dtype == object and (converted := column.infer_objects()).dtype != object:
            frame.isetitem(position, converted)


def downcasting_replace(method):
    @functools.wraps(method)
    def wrapped(self, *args, **kwargs):
        import pandas

        result = method(self, *args, **kwargs)
        if isinstance(result, pandas.Series):
            return result.infer_objects() if result.dtype == object else result
        if isinstance(result, pandas.DataFrame):
            _numeric_objects_converted(result)
        elif kwargs.get("inplace") and isinstance(self, pandas.DataFrame):
            # a Series replaced in place keeps its dtype: pandas has no public way to change it in place
            _numeric_objects_converted(self)
        return result
    return wrapped


def replace_converts_numeric_objects() -> None:
    import pandas

    for cls in (pandas.DataFrame, pandas.Series):
        cls.replace = downcasting_replace(cls.replace)


def restore_seaborn_style_names() -> None:
    import matplotlib.style

    renamed = "seaborn-v0_8"
    for name in [n for n in matplotlib.style.available if n.startswith(renamed)]:
        old = "seaborn" + name[len(renamed):]
        if old not in matplotlib.style.library:
            matplotlib.style.library[old] = matplotlib.style.library[name]
            matplotlib.style.available.append(old)


if __name__ == "__harness_legacy__":
    keep_text_columns_as_object()
    correlate_numeric_columns_only()
    replace_converts_numeric_objects()
    restore_seaborn_style_names()
