"""What each option beyond the plain MLP costs when it is on, next to PyTorch's.

The MNIST-shaped work of ``run.py`` (60000 x 784, 10 classes, hidden layers
(256, 128), batch 200, learning rate 1e-3), one option switched on at a time.
Each time is the best of ``--repeats`` fits of ``--epochs`` epochs, per epoch;
the ratio is to the same library's plain Adam/relu epoch measured in the same
run, so it says what the option adds, not how the libraries compare.  The
PyTorch column (when torch is installed) is the same option written the usual
way (``nn.Dropout``, ``nn.BatchNorm1d``, ``torch.optim.*``,
``clip_grad_norm_``, ``CosineAnnealingLR``, weighted ``CrossEntropyLoss``).

Run as ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/options.py``
(those variables, when set, force a slower OpenBLAS kernel).
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skfcnn import FCNNClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import (HIDDEN, MNIST, blas_threads, environment_lines, load_torch, log,  # noqa: E402
                 mnist_data)

#: (label, skfcnn parameters, PyTorch options or None where it has no such option)
OPTIONS = [
    ("plain: Adam, relu", {}, {}),
    ("solver='sgd' (Nesterov momentum 0.9)", {"solver": "sgd"}, {"optimizer": "sgd"}),
    ("solver='rmsprop'", {"solver": "rmsprop"}, {"optimizer": "rmsprop"}),
    ("solver='adagrad'", {"solver": "adagrad"}, {"optimizer": "adagrad"}),
    ("solver='adamw'", {"solver": "adamw"}, {"optimizer": "adamw"}),
    ("learning_rate='cosine'", {"learning_rate": "cosine"}, {"cosine": True}),
    ("activation='tanh'", {"activation": "tanh"}, {"activation": "tanh"}),
    ("activation='gelu'", {"activation": "gelu"}, {"activation": "gelu"}),
    ("activation='elu'", {"activation": "elu"}, {"activation": "elu"}),
    ("dropout=0.2", {"dropout": 0.2}, {"dropout": 0.2}),
    ("batch_norm=True", {"batch_norm": True}, {"batch_norm": True}),
    ("max_grad_norm=1.0", {"max_grad_norm": 1.0}, {"max_grad_norm": 1.0}),
    ("class_weight='balanced'", {"class_weight": "balanced"}, {"class_weight": True}),
    ("early_stopping=True (10% held out, scored each epoch)", {"early_stopping": True}, None),
]


def ours(epochs, dtype, options):
    params = {**MNIST, "max_iter": epochs, **options}
    if options.get("early_stopping"):
        params["n_iter_no_change"] = epochs + 1  # run every epoch, as the others do
    return lambda X, y: FCNNClassifier(**params).fit(X.astype(dtype, copy=False), y)


def theirs(torch_mod, epochs, dtype, options, threads):
    def fit(X, y):
        return torch_mod.TorchMLP(HIDDEN, batch_size=MNIST["batch_size"],
                                  learning_rate_init=MNIST["learning_rate_init"],
                                  alpha=MNIST["alpha"], epochs=epochs, dtype=dtype,
                                  threads=threads, random_state=0, **options).fit(X, y)
    return fit


def best_epoch(fit, X, y, epochs, repeats):
    best = np.inf
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            fit(X, y)
            best = min(best, (time.perf_counter() - start) / epochs)
    return best


def measure(args, torch_mod, threads):
    data, y_train, _ = mnist_data(args.n_train, 1000)
    X = data[args.dtype][0]
    best_epoch(ours(1, args.dtype, {}), X[:2000], y_train[:2000], 1, 1)  # warm-ups
    if torch_mod is not None:
        best_epoch(theirs(torch_mod, 1, args.dtype, {}, threads), X[:2000], y_train[:2000], 1, 1)
    results = []
    for label, our_options, torch_options in OPTIONS:
        seconds = best_epoch(ours(args.epochs, args.dtype, our_options), X, y_train,
                             args.epochs, args.repeats)
        peer = None
        if torch_mod is not None and torch_options is not None:
            peer = best_epoch(theirs(torch_mod, args.epochs, args.dtype, torch_options, threads),
                              X, y_train, args.epochs, args.repeats)
        log(f"{label}: skfcnn {seconds:.3f} s"
            + (f", PyTorch {peer:.3f} s" if peer is not None else ""))
        results.append((label, seconds, peer))
    return results


def table(results):
    base, base_peer = results[0][1], results[0][2]
    lines = ["| option | skfcnn s/epoch | vs plain | PyTorch s/epoch | vs plain |",
             "|---|---:|---:|---:|---:|"]
    for label, seconds, peer in results:
        theirs_cells = ("-", "-") if peer is None else (f"{peer:.3f}", f"{peer / base_peer:.2f}")
        lines.append(f"| {label} | {seconds:.3f} | {seconds / base:.2f} | "
                     f"{theirs_cells[0]} | {theirs_cells[1]} |")
    return lines


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 6000 rows, 1 epoch, 1 repeat")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="float32 (default, PyTorch's usual dtype) or float64")
    parser.add_argument("--skip-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--epochs", type=int, help="epochs per timed fit (default 2)")
    parser.add_argument("--repeats", type=int, help="timed fits per cell (default 3)")
    args = parser.parse_args(argv)
    args.n_train = 6000 if args.quick else 60000
    args.epochs = args.epochs or (1 if args.quick else 2)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.dtype = np.dtype(args.dtype).type
    if args.epochs < 1 or args.repeats < 1:
        parser.error("--epochs and --repeats must be at least 1")
    return args


def main(argv=None):
    wall = time.perf_counter()
    args = parse_args(argv)
    torch_mod, torch_note = load_torch(args.skip_torch)
    threads = blas_threads()
    head = ["# What each option costs when on (skfcnn next to PyTorch)", ""]
    head += environment_lines(torch_note)
    head += [f"- data: {args.n_train} MNIST-shaped rows (as in run.py), "
             f"{args.dtype.__name__}; {args.epochs} epoch(s) per fit, best of {args.repeats}",
             ""]
    print("\n".join(head), flush=True)
    results = measure(args, torch_mod, threads)
    print("\n".join(["", *table(results), "",
                     f"- total time: {time.perf_counter() - wall:.0f} s"]), flush=True)


if __name__ == "__main__":
    main()
