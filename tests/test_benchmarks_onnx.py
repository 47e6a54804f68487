"""The ONNX inference benchmark still runs and prints every row (a smoke run, no
time asserted).  It needs skl2onnx and onnxruntime, the ``skfcnn.onnx`` extra."""

import sys

import pytest
from test_benchmarks import BENCHMARKS, run_script, table_rows

pytest.importorskip("skl2onnx", reason="the ONNX benchmark needs skl2onnx")
pytest.importorskip("onnxruntime", reason="the ONNX benchmark needs onnxruntime")


def test_onnx_inference_py_prints_every_row_and_the_agreement():
    sys.path.insert(0, BENCHMARKS)
    try:
        from onnx_inference import ROWS
    finally:
        sys.path.remove(BENCHMARKS)
    report = run_script("onnx_inference.py", "--quick")
    rows = table_rows(report)[1:]  # after the header's separator line
    assert [row.split(" | ")[0][2:] for row in rows] == list(ROWS)
    assert all(len(row.split(" | ")) == 4 for row in rows)  # a value in every column
    assert "onnxruntime intra_op_num_threads=" in report
    assert "labels equal 100.00%" in report
