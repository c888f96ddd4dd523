"""Render a folder of WFDB records into a challenge-format folder of paper ECGs.

    python -m ecgdigitizer.render INPUT_FOLDER OUTPUT_FOLDER --preset clean --seed 0 --workers 2 --masked --hidden
    python -m ecgdigitizer.render INPUT_FOLDER OUTPUT_FOLDER --preset aug --dpi 100 --random-grid 1 --masked --hidden
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import sys

from ..layouts import LAYOUTS
from .presets import PRESETS


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ecgdigitizer.render", description=__doc__.strip().splitlines()[0])
    p.add_argument("input_folder", help="folder of WFDB records (searched recursively)")
    p.add_argument("output_folder", help="writes full/, and masked/ and hidden/ when asked")
    p.add_argument("--preset", default="clean", choices=list(PRESETS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layout", default="3x4+1",
                   help=f"one layout or a comma-separated list drawn per page; known: {', '.join(LAYOUTS)}")
    p.add_argument("--dpi", type=int, default=None, help="fixed resolution (default: drawn from the preset)")
    p.add_argument("--random-grid", type=float, default=None, metavar="P",
                   help="chance of ECG-Image-Kit's random grid colours, major and minor lines each "
                        "(default: the preset's; Preset.random_grid_probability)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--masked", action="store_true", help="also write masked/: NaN where nothing is plotted")
    p.add_argument("--hidden", action="store_true", help="also write hidden/: partial headers and images only")
    p.add_argument("-f", "--allow-failures", action="store_true", help="skip records that cannot be drawn")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def run(args: argparse.Namespace) -> int:
    from .folder import folder_render

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    layouts = tuple(s.strip() for s in args.layout.split(",") if s.strip())
    unknown = [l for l in layouts if l not in LAYOUTS]
    if unknown:
        raise SystemExit(f"unknown layout(s) {unknown}; known layouts: {', '.join(LAYOUTS)}")
    preset = PRESETS[args.preset]
    if args.random_grid is not None:
        if not 0.0 <= args.random_grid <= 1.0:
            raise SystemExit(f"--random-grid must be in [0, 1], got {args.random_grid}")
        preset = dataclasses.replace(preset, random_grid_probability=args.random_grid)
    summary = folder_render(args.input_folder, args.output_folder, preset=preset, seed=args.seed,
                            layouts=layouts, dpi=args.dpi, masked=args.masked, hidden=args.hidden,
                            workers=args.workers, allow_failures=args.allow_failures, progress=not args.quiet)
    logging.info("%d records, %d pages, %d failures", summary["records"], summary["pages"], len(summary["failures"]))
    return 0


if __name__ == "__main__":
    sys.exit(run(get_parser().parse_args()))
