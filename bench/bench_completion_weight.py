#!/usr/bin/env python
"""How much of the signal model's correction to add to the classical prior.

    python bench/bench_completion_weight.py --records ../shared/data/records --model model/signal_model.pt

``signal_complete`` estimates an unseen sample as the classical prior plus
``model_weight`` times the model's correction. This runs the completion on
the signal model's *validation* records (``records_split``: never trained on,
and not the benchmark's held-out records) for several weights, on 3x4+1 pages
in two conditions, and scores the unseen samples against the record:

* ``exact``: the page's windows are seen exactly as recorded;
* ``errors``: the windows carry the training data's extraction-like errors
  (``SignalWindowDataset``: shifts, gain and offset errors, noise, glitches
  that follow another lead, dropouts), 160 windows.

A real page lies between the two: the prior copies a page's errors into
every beat, which the model learned to undo, but the model also reshapes
beats the prior copies well. ``completion.MODEL_WEIGHT`` (0.5) lies between
the two conditions' best weights. Printed, and written to
``bench/results/completion_weight.csv``.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from ecgdigitizer.completion import signal_complete, signal_model_load  # noqa: E402
from ecgdigitizer.layouts import STANDARD_LEADS  # noqa: E402
from ecgdigitizer.training.cli import records_list  # noqa: E402
from ecgdigitizer.training.config import TrainConfig  # noqa: E402
from ecgdigitizer.training.signal_data import SignalDataConfig, SignalWindowDataset, records_split  # noqa: E402
from ecgdigitizer.training.signal_evaluate import signal_model_evaluate  # noqa: E402

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
ERROR_WINDOWS = 160


def unseen_snr_with_errors(paths: list[str], model_path: str, layout: str) -> dict[float, float]:
    """Pooled SNR (dB) of the unseen samples per weight, on windows with extraction-like errors."""
    model = signal_model_load(model_path)
    config = SignalDataConfig(layouts=((layout, 1.0),))
    windows = SignalWindowDataset(paths, config, length=ERROR_WINDOWS, seed=99)
    error, power = dict.fromkeys(WEIGHTS, 0.0), 0.0
    for index in range(len(windows)):    # a Dataset has no end of its own to iterate to
        item = windows[index]
        values, mask, confidence, target = (item[k].numpy().astype(np.float64).T
                                            for k in ("values", "mask", "confidence", "target"))
        partial = np.where(mask > 0, values, np.nan)
        unseen = mask == 0
        power += np.sum(target[unseen] ** 2)
        for weight in WEIGHTS:
            estimate = signal_complete(partial, config.fs, list(STANDARD_LEADS), model,
                                       confidence=confidence, model_weight=weight).signal
            error[weight] += np.sum((estimate - target)[unseen] ** 2)
    return {weight: 10 * np.log10(power / error[weight]) for weight in WEIGHTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", required=True, help="the records folder (../shared/data/records)")
    parser.add_argument("--model", required=True, help="signal_model.pt")
    parser.add_argument("--layout", default="3x4+1")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "completion_weight.csv"))
    args = parser.parse_args()

    _, validation = records_split(records_list(args.records), seed=TrainConfig().seed)   # the training's split
    keys = [os.path.relpath(p, args.records) for p in validation]
    with_errors = unseen_snr_with_errors(validation, args.model, args.layout)
    rows = []
    for weight in WEIGHTS:
        result = signal_model_evaluate(args.records, args.model, args.layout, records=keys, model_weight=weight)
        rows.append({"model_weight": weight, "records": len(result["per_record"]),
                     "exact_unseen_snr_db": round(result["summary"]["model"]["unseen_snr"], 2),
                     "errors_unseen_snr_db": round(with_errors[weight], 2)})
    table = pd.DataFrame(rows)
    print(f"validation records, layout {args.layout}: SNR of the unseen samples (dB)")
    print(table.to_string(index=False))
    for column in ("exact_unseen_snr_db", "errors_unseen_snr_db"):
        print(f"best model_weight by {column}: {table.loc[table[column].idxmax(), 'model_weight']}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
