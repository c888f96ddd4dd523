"""Paper-ECG renderer and augmentation engine: the training-data engine.

From a WFDB record to a paper page with exact ground truth (the pixel of every
plotted sample, lead and label boxes, a per-pixel trace mask), in
ECG-Image-Kit's JSON schema:

* ``page_render``: one page from a signal (``page``: clean page, ``distort``:
  distortions, ``presets``: what each preset draws, ``ground_truth``: JSON);
* ``python -m ecgdigitizer.render IN OUT``: a challenge-format folder (``folder``);
* ``RenderedPageDataset``: pages rendered on the fly for training (``dataset``).
"""
from .distort import DISTORTIONS, distortions_apply
from .ground_truth import ground_truth_build, ground_truth_read, ground_truth_write, plotted_pixels_array
from .page import PAPERS, Canvas, PageStyle, page_draw, page_seconds
from .page_render import RenderedPage, layout_resolve, page_render, style_draw
from .presets import GRID_COLORS, PRESETS, DistortionSpec, Preset, preset_get
from .ink import ink_fraction, mask_fraction

__all__ = ["page_render", "RenderedPage", "ground_truth_read", "ground_truth_write", "ground_truth_build",
           "plotted_pixels_array", "PRESETS", "Preset", "DistortionSpec", "preset_get", "GRID_COLORS",
           "DISTORTIONS", "distortions_apply", "PAPERS", "PageStyle", "Canvas", "page_draw", "page_seconds",
           "style_draw", "layout_resolve", "RenderedPageDataset", "ink_fraction", "mask_fraction"]


def __getattr__(name):
    # torch is imported only when the Dataset is asked for.
    if name == "RenderedPageDataset":
        from .dataset import RenderedPageDataset
        return RenderedPageDataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
