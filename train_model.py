#!/usr/bin/env python
"""Train the digitizer.

Usage: python train_model.py -d DATA -m MODEL [-v]

DATA is a challenge folder (records with images, signals and optional
ECG-Image-Kit JSON sidecars) or a folder of WFDB records alone. Command-line
compatible with the PhysioNet Challenge 2024 example entry; hyper-parameters
come from ecgdigitizer.training.config and may be overridden with
ECGDIG_<FIELD> environment variables.
"""
import argparse
import sys

from team_code import train_models


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--data_folder", required=True, help="training records")
    parser.add_argument("-m", "--model_folder", required=True, help="where to write the model")
    parser.add_argument("-v", "--verbose", action="store_true", help="print training progress")
    return parser


def run(args: argparse.Namespace) -> int:
    train_models(args.data_folder, args.model_folder, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(run(get_parser().parse_args(sys.argv[1:])))
