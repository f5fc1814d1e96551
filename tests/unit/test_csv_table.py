"""The pyarrow CSV reader types every file as pandas.read_csv does (slipstream/csv_table.py)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from slipstream import csv_table
from slipstream.csv_table import read_csv

CASES = {
    "dates stay text": "d,t,ts,x\n2024-01-31,12:30:00,2024-01-31T10:00:00,1\n2024-02-01,13:00,2024-02-01 11:00,2\n",
    "only True/False spellings are booleans": "a,b,c,d,e\nTrue,true,1,yes,1\nFalse,FALSE,0,no,true\nTRUE,,1,yes,0\n",
    "pandas' missing spellings": "a,b,c\nNA,1,x\nN/A,2,null\n#N/A,,None\nnan,4,\n-nan,5,NULL\n<NA>,6,n/a\n",
    "integers with a gap are floats": "a,b\n1,\n2,3\n,4\n",
    "numbers and text are text": "a,b\n1,x\nfoo,2\n3,3\n",
    "an empty column is float": "a,b\n,1\n,2\n",
    "leading zeros": "zip,city\n02134,Boston\n10001,NYC\n",
    "quoted": 'a,b\n"hello, world",1\n"NA",2\n"",3\n',
    "spaces": "a,b\n 1, x\n2 ,y \n",
    "beyond int64": "a,b\n9223372036854775808,1\n1,2\n",
    "signed integers": "a\n-1\n+2\n",
    "repeated names": "a,a,b\n1,2,3\n4,5,6\n",
    "a header shorter than the rows": "a,b\n0,1,2\n1,3,4\n",
    "header only": "size,label\n",
    "blank lines and CRLF": "a,b\r\n1,2\r\n\r\n3,4\r\n",
    "unicode": "name,v\nZoë,1\n東京,2\n",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_reads_as_pandas_does(tmp_path, text):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8", newline="")

    pd.testing.assert_frame_equal(read_csv(path), pd.read_csv(path))


def test_types_changing_after_the_sample_are_pandas_own(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_table, "SAMPLE_BYTES", 64)
    rows = [f"{i},True,,{i % 7}" for i in range(200)] + ["1.5,maybe,2024-01-01,foo"]
    path = tmp_path / "late.csv"
    path.write_text("a,b,c,d\n" + "\n".join(rows) + "\n", encoding="utf-8")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' own DtypeWarning on mixed columns
        pd.testing.assert_frame_equal(read_csv(path), pd.read_csv(path))


def test_dates_after_the_sample_stay_text(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_table, "SAMPLE_BYTES", 64)
    path = tmp_path / "late_dates.csv"
    path.write_text("a,when\n" + "1,\n" * 100 + "2,2024-01-31\n", encoding="utf-8")

    frame = read_csv(path)

    pd.testing.assert_frame_equal(frame, pd.read_csv(path))
    assert frame["when"].iloc[-1] == "2024-01-31"


def test_floats_are_the_files_to_the_last_bit(tmp_path):
    values = pd.Series([0.1, 3.141592653589793, 1e-300, 2.2250738585072014e-308, 0.30000000000000004] * 20)
    path = tmp_path / "floats.csv"
    pd.DataFrame({"x": values}).to_csv(path, index=False)

    assert read_csv(path)["x"].tolist() == values.tolist()
