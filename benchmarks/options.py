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

import os
import sys
import time

import numpy as np

from skfcnn import FCNNClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    benchmark_parser,
    best_of,
    environment_lines,
    log,
    markdown,
    no_convergence_warnings,
    parse_epoch_arguments,
    torch_peer,
)
from run import MNIST, mnist_data, torch_model

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
    """A fit of skfcnn with ``options`` on top of run.py's settings (the cast is free
    when ``X`` already has ``dtype``)."""
    params = {**MNIST, "max_iter": epochs, **options}
    if options.get("early_stopping"):
        params["n_iter_no_change"] = epochs + 1  # run every epoch, as the others do
    return lambda X, y: FCNNClassifier(**params).fit(X.astype(dtype, copy=False), y)


def theirs(torch_mod, epochs, dtype, options, threads):
    """A fit of the PyTorch peer with the same option written the PyTorch way."""
    return lambda X, y: torch_model(torch_mod, epochs, dtype, threads, **options).fit(X, y)


def best_epoch(fit, X, y, epochs, repeats):
    """Best seconds per epoch of ``repeats`` calls ``fit(X, y)`` (model built inside)."""
    with no_convergence_warnings():
        return best_of(repeats, fit, X, y) / epochs


def measure(args, torch_mod, threads):
    """``[(label, skfcnn s/epoch, PyTorch s/epoch or None)]`` in the order of OPTIONS."""
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
    """The markdown table of ``[(label, skfcnn seconds, PyTorch seconds or None)]``;
    the first result is the plain epoch that the ratios divide by."""
    base, base_peer = results[0][1], results[0][2]
    rows = [[label, f"{seconds:.3f}", f"{seconds / base:.2f}",
             *(("-", "-") if peer is None else (f"{peer:.3f}", f"{peer / base_peer:.2f}"))]
            for label, seconds, peer in results]
    return markdown(["option", "skfcnn s/epoch", "vs plain", "PyTorch s/epoch", "vs plain"],
                    rows)


def parse_args(argv):
    """The options, with ``dtype`` as a NumPy scalar type."""
    parser = benchmark_parser(__doc__)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="float32 (default, PyTorch's usual dtype) or float64")
    args = parse_epoch_arguments(parser, argv, epochs=2, repeats=3,
                                 quick_help="smoke run: 6000 rows, 1 epoch, 1 repeat")
    args.n_train = 6000 if args.quick else 60000
    args.dtype = np.dtype(args.dtype).type
    return args


def main(argv=None):
    """Print the header, then the table once every option is measured."""
    wall = time.perf_counter()
    args = parse_args(argv)
    torch_mod, torch_note, threads = torch_peer(args.skip_torch)
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
