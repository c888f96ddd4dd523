#!/usr/bin/env python
"""Digitize every record of a folder with a trained model.

Usage: python run_model.py -d DATA -m MODEL -o OUTPUTS [-v] [-f]

Command-line compatible with the PhysioNet Challenge 2024 example entry.
Extra, optional: --method, --no-complete, --device, --threads (also settable
through ECGDIG_METHOD, ECGDIG_COMPLETE, ECGDIG_DEVICE and ECGDIG_THREADS), and
-j/--jobs for several worker processes.
"""
import argparse
import logging
import sys

from ecgdigitizer.pipeline import digitizer_load
from ecgdigitizer.runner import RecordError, records_run
from team_code import load_models, run_models


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--data_folder", required=True, help="records to digitize (hidden-style headers)")
    parser.add_argument("-m", "--model_folder", required=True, help="trained model folder, e.g. model/")
    parser.add_argument("-o", "--output_folder", required=True, help="where to write the digitized records")
    parser.add_argument("-v", "--verbose", action="store_true", help="print per-record details")
    parser.add_argument("-f", "--allow_failures", action="store_true",
                        help="on a failing record, write its header without a signal and go on")
    parser.add_argument("--method", default=None, help="trace extraction method (default: the model's)")
    parser.add_argument("--no-complete", dest="complete", action="store_false", default=None,
                        help="write NaN where the page shows nothing instead of completing it")
    parser.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads per process (default 1: as fast on idle cores, faster on busy ones)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1)")
    return parser


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.method or args.complete is not None or args.device or args.threads is not None:
            digitization_model = digitizer_load(args.model_folder, method=args.method, complete=args.complete,
                                                device=args.device, threads=args.threads)
            classification_model = None
        else:
            digitization_model, classification_model = load_models(args.model_folder, args.verbose)
        summary = records_run(
            args.data_folder, args.output_folder,
            lambda record: run_models(record, digitization_model, classification_model, args.verbose),
            allow_failures=args.allow_failures, verbose=args.verbose, jobs=args.jobs)
    except (RecordError, FileNotFoundError, ValueError) as error:   # ValueError: a malformed option or model
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary.describe())
    return 0


if __name__ == "__main__":
    sys.exit(run(get_parser().parse_args(sys.argv[1:])))
