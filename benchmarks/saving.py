"""What saving a model costs: file size, write and read time of pickle, skops and ONNX.

Run from the repository root::

    python benchmarks/saving.py            # the full run (a few seconds)
    python benchmarks/saving.py --quick    # smoke run

The model is MNIST-shaped, 784 -> 100 (relu) -> 10 (softmax), float32, Adam,
fitted for a few epochs on ``make_classification`` rows; scikit-learn's
``MLPClassifier`` of the same shape is the peer for pickle and skops.  Times
are the fewest milliseconds of ``--repeats`` calls (rounds alternate the
formats); for ONNX, "write" is the conversion (``skfcnn.onnx.to_onnx``) and
"read" the start of an onnxruntime session.  skops and ONNX rows are left out,
saying so, where their packages are missing.
"""

import os
import pickle
import sys
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common

from skfcnn import FCNNClassifier

TRUSTED = {"skfcnn": ["skfcnn.estimators.classifier.FCNNClassifier"],
           "scikit-learn": ["sklearn.neural_network._stochastic_optimizers.AdamOptimizer"]}


def _models(n_rows):
    X, y = make_classification(n_rows, n_features=784, n_informative=50, n_classes=10,
                               random_state=0)
    X = X.astype(np.float32)
    shape = {"hidden_layer_sizes": (100,), "max_iter": 3, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return X, {"skfcnn": FCNNClassifier(**shape).fit(X, y),
                   "scikit-learn": MLPClassifier(**shape).fit(X, y)}


def _formats(X, models):
    """``{(format, library): (write, read)}``: callables writing bytes and reading them."""
    formats = {}
    for library, model in models.items():
        formats[("pickle", library)] = (lambda m=model: pickle.dumps(m), pickle.loads)
    try:
        import skops.io as sio
    except ImportError:
        _common.log("skops is not installed: its rows are left out")
    else:
        for library, model in models.items():
            formats[("skops", library)] = (
                lambda m=model: sio.dumps(m),
                lambda data, t=TRUSTED[library]: sio.loads(data, trusted=t))
    try:
        import onnxruntime

        import skfcnn.onnx
    except ImportError:
        _common.log("skl2onnx or onnxruntime is not installed: the ONNX row is left out")
    else:
        formats[("ONNX", "skfcnn")] = (
            lambda: skfcnn.onnx.to_onnx(models["skfcnn"], X[:1]).SerializeToString(),
            lambda data: onnxruntime.InferenceSession(
                data, providers=["CPUExecutionProvider"]))
    return formats


def main(argv=None):
    parser = _common.benchmark_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer repeats")
    parser.add_argument("--repeats", type=int, default=20)
    _common.add_output_argument(parser)
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    X, models = _models(300 if args.quick else 2000)
    formats = _formats(X, models)
    data = {key: write() for key, (write, _) in formats.items()}
    measures = {}
    for key, (write, read) in formats.items():
        measures[(key, "write")] = lambda write=write: _common.seconds(write)
        measures[(key, "read")] = lambda read=read, blob=data[key]: _common.seconds(read, blob)
    best = _common.best_alternating(repeats, measures)
    rows = [[f"{name}, {library}", f"{len(data[(name, library)]) / 1e6:.3f}",
             f"{best[((name, library), 'write')] * 1e3:.2f}",
             f"{best[((name, library), 'read')] * 1e3:.2f}"] for name, library in formats]
    params = models["skfcnn"]._network.params.nbytes / 1e6
    lines = ["# Saving a model: size and time", "",
             *_common.environment_lines("not used"), "",
             f"784 -> 100 -> 10 float32 Adam model: {params:.3f} MB of parameters.", "",
             *_common.markdown(["format, library", "file (MB)", "write (ms)", "read (ms)"],
                               rows)]
    print("\n".join(lines))
    _common.write_report(args.output, lines)


if __name__ == "__main__":
    main()
