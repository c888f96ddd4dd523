#!/usr/bin/env python
"""Score digitized ECG records, command-line compatible with the official Challenge 2024 scorer.

    python evaluate_model.py -d data/full -o outputs -s scores.txt
    python evaluate_model.py -d data/masked -o outputs -ta per_lead.tsv --report report/

See ``ecgdigitizer/evaluation/cli.py`` for every option.
"""
import sys

from ecgdigitizer.evaluation.cli import main

if __name__ == "__main__":
    sys.exit(main())
