"""Layouts are recognised without a flag, on pages the renderer draws."""
import numpy as np
import pytest

from ecgdigitizer.digitize import page_geometry
from ecgdigitizer.layout import tick_present
from ecgdigitizer.render import page_render
from render_helpers import LEADS12, synthetic_ecg

SIGNAL = synthetic_ecg(10.0, 500.0)


@pytest.mark.parametrize("layout", ["3x4", "3x4+1", "3x4+3", "6x2", "6x2+1", "2x6", "12x1"])
@pytest.mark.parametrize("preset", ["clean", "varied"])
def test_layout_recognised(layout, preset):
    page = page_render(SIGNAL, 500.0, LEADS12, layout=layout, dpi=100, preset=preset, seed=3)
    geo = page_geometry(page.image)
    assert geo.page.layout.name == layout
    assert geo.px_per_mm == pytest.approx(100 / 25.4, rel=0.01)


def test_tick_needs_a_thick_bar_across_the_baseline():
    mask = np.zeros((200, 200), bool)
    mask[80:121, 50:53] = True     # a 3-px bar 20 px above and below row 100
    mask[60:101, 150] = True       # a thin spike above the baseline only
    assert tick_present(mask, 100.0, 51.0, px_per_mm=8.0)
    assert not tick_present(mask, 100.0, 150.0, px_per_mm=8.0)
