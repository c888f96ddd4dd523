"""Figures (PNG, matplotlib without a display) and one HTML page for an evaluation.

``report_write(result, folder)`` draws, from an :class:`EvaluationResult`
computed with ``keep_signals=True``:

* ``overlay_<record>.png``: reference and aligned output per lead on an
  ECG-paper grid (0.04 s x 0.1 mV small squares, 0.2 s x 0.5 mV large
  squares), the plotted (seen) windows shaded yellow and the parts the output
  generated outside them shaded grey;
* ``error_hist.png``: the distribution of output - reference over every sample
  finite in both;
* ``corr_heatmap.png``: Pearson's r per record and lead;
* ``mae_per_lead.png``: mean absolute error per lead;
* ``snr_box.png``: SNR per lead over records;
* ``index.html``: the summary, the interval errors and the per-record table
  with the figures.
"""
from __future__ import annotations

import html
import os

import numpy as np
import pandas as pd

from ..layouts import STANDARD_LEADS, lead_name_normalize
from ..spans import true_spans
from .scoring import EvaluationResult

__all__ = ["report_write", "overlay_records_pick"]

_PAPER_MINOR = "#f6c9c9"
_PAPER_MAJOR = "#eba4a4"
_SEEN = "#fff3b0"        # plotted window: pale yellow
_GENERATED = "#c8c8c8"   # output outside the plotted window: grey
_OUTPUT = "#1f5fbf"      # output trace: blue, to stand out from the red paper


def _plt():
    import matplotlib
    matplotlib.use("Agg")  # headless: never open a window
    import matplotlib.pyplot as plt
    return plt


def _lead_order(names: list[str]) -> list[int]:
    rank = {lead: i for i, lead in enumerate(STANDARD_LEADS)}
    return sorted(range(len(names)), key=lambda i: (rank.get(lead_name_normalize(names[i]), 99), i))


def overlay_records_pick(result: EvaluationResult, n: int = 3) -> list[str]:
    """The records with the lowest, median and highest mean SNR (at most ``n``)."""
    pr = result.per_record
    pr = pr[pr["record"].isin(result.signals)] if len(pr) else pr
    if pr.empty:
        return []
    ordered = pr.sort_values("snr", na_position="first")["record"].tolist()
    picks = [ordered[0], ordered[len(ordered) // 2], ordered[-1]][:n] if n >= 3 else ordered[:n]
    return list(dict.fromkeys(picks))


def overlay_draw(path: str, record: str, fs: float, names: list[str], ref: np.ndarray,
                 est: np.ndarray, seen: np.ndarray, per_lead: pd.DataFrame | None = None) -> None:
    """Reference (black) and output (blue) for every lead of one record, on paper grid."""
    plt = _plt()
    order = _lead_order(names)
    n = ref.shape[0]
    t = np.arange(n) / fs
    fig, axes = plt.subplots(len(order), 1, figsize=(14, 1.45 * len(order) + 0.6), sharex=True, squeeze=False)
    snr = {}
    if per_lead is not None and len(per_lead):
        sub = per_lead[per_lead["record"] == record]
        snr = dict(zip(sub["lead"], sub["snr"]))
    for ax, i in zip(axes[:, 0], order):
        r, e = ref[:, i], est[:, i]
        finite = np.concatenate([r[np.isfinite(r)], e[np.isfinite(e)]])
        lo, hi = (np.percentile(finite, [0.5, 99.5]) if finite.size else (-1.0, 1.0))
        lo, hi = np.floor((lo - 0.25) * 2) / 2, np.ceil((hi + 0.25) * 2) / 2
        for a, b in true_spans(seen[:, i]):
            ax.axvspan(a / fs, b / fs, color=_SEEN, alpha=0.55, lw=0, zorder=0)
        for a, b in true_spans(np.isfinite(e) & ~seen[:, i]):
            ax.axvspan(a / fs, b / fs, color=_GENERATED, alpha=0.55, lw=0, zorder=0)
        # Paper grid as two line collections (tick-based grids cost seconds per figure).
        xs = np.arange(0, n / fs + 1e-9, 0.04)
        ys = np.arange(lo, hi + 1e-9, 0.1)
        major_x = np.isclose(np.round(xs / 0.2), xs / 0.2)
        major_y = np.isclose(np.round(ys / 0.5), ys / 0.5)
        ax.vlines(xs[~major_x], lo, hi, color=_PAPER_MINOR, lw=0.4, zorder=1)
        ax.hlines(ys[~major_y], 0, n / fs, color=_PAPER_MINOR, lw=0.4, zorder=1)
        ax.vlines(xs[major_x], lo, hi, color=_PAPER_MAJOR, lw=0.8, zorder=1)
        ax.hlines(ys[major_y], 0, n / fs, color=_PAPER_MAJOR, lw=0.8, zorder=1)
        ax.set_xticks(np.arange(0, n / fs + 1e-9, 1.0))
        ax.set_yticks(np.arange(np.ceil(lo), hi + 1e-9, 1.0))
        ax.plot(t, r, color="black", lw=0.8, label="reference", zorder=3)
        ax.plot(t, e, color=_OUTPUT, lw=0.7, alpha=0.85, label="output", zorder=4)
        ax.set_xlim(0, n / fs)
        ax.set_ylim(lo, hi)
        ax.tick_params(labelsize=6, length=0)
        s = snr.get(names[i], np.nan)
        ax.set_ylabel(f"{names[i]}\nmV", fontsize=8, rotation=0, ha="right", va="center")
        ax.text(1.002, 0.5, f"SNR\n{s:.1f} dB" if np.isfinite(s) else "SNR\n-", transform=ax.transAxes,
                fontsize=7, va="center")
    axes[-1, 0].set_xlabel("time (s)")
    from matplotlib.patches import Patch
    handles = axes[0, 0].get_legend_handles_labels()[0] + [
        Patch(color=_SEEN, label="plotted (seen)"), Patch(color=_GENERATED, label="generated (not plotted)")]
    axes[0, 0].legend(handles=handles, loc="upper right", fontsize=7, ncol=4)
    fig.suptitle(f"{record}: reference (black) and output (blue); grid 0.04 s x 0.1 mV, "
                 f"0.2 s x 0.5 mV", fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.97, 0.98))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _errors(result: EvaluationResult, limit: int = 2_000_000) -> np.ndarray:
    parts = []
    for fs, names, ref, est, seen in result.signals.values():
        d = (est - ref)[np.isfinite(est) & np.isfinite(ref)]
        parts.append(d.astype(np.float64))
    d = np.concatenate(parts) if parts else np.zeros(0)
    if d.size > limit:
        d = d[np.linspace(0, d.size - 1, limit).astype(np.int64)]
    return d


def report_write(result: EvaluationResult, folder: str, *, overlay_records: list[str] | None = None,
                 title: str = "ECG digitization evaluation", command: str = "") -> list[str]:
    """Write the figures and ``index.html`` into ``folder``; returns the files written.

    Raises
    ------
    ValueError
        When ``result`` was computed without ``keep_signals=True`` (the
        overlays and the error histogram need the signals).
    """
    if not result.signals:
        raise ValueError("report_write: the result holds no signals; score with keep_signals=True")
    plt = _plt()
    os.makedirs(folder, exist_ok=True)
    written = []
    per_lead = result.per_lead

    picks = overlay_records if overlay_records else overlay_records_pick(result)
    overlays = []
    for rec in picks:
        if rec not in result.signals:
            continue
        fs, names, ref, est, seen = result.signals[rec]
        name = "overlay_" + rec.replace(os.sep, "_") + ".png"
        overlay_draw(os.path.join(folder, name), rec, fs, names, ref, est, seen, per_lead)
        overlays.append(name)

    # Error distribution.
    d = _errors(result)
    fig, ax = plt.subplots(figsize=(7, 4))
    if d.size:
        lim = max(0.05, float(np.percentile(np.abs(d), 99.5)))
        ax.hist(np.clip(d, -lim, lim), bins=121, color="#4c72b0")
        ax.set_yscale("log")
        ax.set_title(f"output - reference, {d.size:,} samples: median |e| {np.median(np.abs(d)) * 1000:.0f} uV, "
                     f"p95 {np.percentile(np.abs(d), 95) * 1000:.0f} uV", fontsize=9)
    ax.set_xlabel("error (mV), clipped at the 99.5th percentile of |error|")
    ax.set_ylabel("samples")
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "error_hist.png"), dpi=100)
    plt.close(fig)

    leads = [lead for lead in STANDARD_LEADS if lead in set(per_lead["lead"].map(lead_name_normalize))]
    leads += [x for x in dict.fromkeys(per_lead["lead"]) if lead_name_normalize(x) not in leads]
    pl = per_lead.assign(lead=per_lead["lead"].map(lead_name_normalize))

    # Correlation heatmap, records x leads.
    heat = pl.pivot_table(index="record", columns="lead", values="pearson", aggfunc="mean", dropna=False)
    heat = heat.reindex(columns=[x for x in leads if x in heat.columns])
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * max(1, heat.shape[1]), 1.2 + 0.28 * max(1, heat.shape[0])))
    vals = heat.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(vals), cmap="RdYlGn", vmin=max(0.0, np.nanmin(vals)) if
                   np.isfinite(vals).any() else 0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(heat.shape[1]), heat.columns, fontsize=8)
    ax.set_yticks(range(heat.shape[0]), heat.index, fontsize=7)
    if vals.size <= 400:
        for (i, j), v in np.ndenumerate(vals):
            ax.text(j, i, "-" if not np.isfinite(v) else f"{v:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, label="Pearson r")
    ax.set_title("Correlation per record and lead (blank: no common samples)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "corr_heatmap.png"), dpi=100)
    plt.close(fig)

    # MAE per lead.
    mae = pl.groupby("lead")["mae"].mean().reindex(leads)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(range(len(mae)), mae.to_numpy() * 1000, color="#dd8452")
    ax.set_xticks(range(len(mae)), mae.index)
    ax.set_ylabel("mean absolute error (uV)")
    ax.set_title("MAE per lead (mean over records, samples finite in both)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "mae_per_lead.png"), dpi=100)
    plt.close(fig)

    # SNR per lead.
    fig, ax = plt.subplots(figsize=(7, 3.5))
    data = [pl.loc[(pl["lead"] == x) & pl["snr"].notna(), "snr"].to_numpy() for x in leads]
    ax.boxplot([x if x.size else np.array([np.nan]) for x in data], showfliers=True)
    ax.set_xticks(range(1, len(leads) + 1), leads)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_ylabel("SNR (dB)")
    ax.set_title("SNR per lead over records (official definition, after alignment)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "snr_box.png"), dpi=100)
    plt.close(fig)

    figures = ["snr_box.png", "mae_per_lead.png", "error_hist.png", "corr_heatmap.png"]
    written += [os.path.join(folder, f) for f in figures + overlays]
    page = _html(result, title, figures, overlays, command)
    with open(os.path.join(folder, "index.html"), "w", encoding="utf-8") as f:
        f.write(page)
    written.append(os.path.join(folder, "index.html"))
    return written


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, na_rep="-", float_format=lambda v: f"{v:.3g}", border=0, classes="t")


def _html(result: EvaluationResult, title: str, figures: list[str], overlays: list[str], command: str) -> str:
    s = result.summary
    summary = pd.DataFrame([{"metric": k, "value": v} for k, v in s.items()])
    parts = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:1400px;margin:1em auto}"
             ".t{border-collapse:collapse;font-size:12px}.t td,.t th{padding:2px 6px;border-bottom:1px solid #ddd}"
             "img{max-width:100%}</style>",
             f"<h1>{html.escape(title)}</h1>"]
    if command:
        parts.append(f"<p><code>{html.escape(command)}</code></p>")
    parts += ["<h2>Summary</h2>", _table(summary)]
    if len(result.intervals):
        parts += ["<h2>Interval errors (output - reference)</h2>",
                  "<p>ms (HR in bpm); per lead group; <i>ref_failed</i> / <i>out_failed</i> count leads "
                  "that side could not delineate.</p>", _table(result.intervals)]
    parts.append("<h2>Figures</h2>")
    parts += [f"<p><img src='{html.escape(f)}' alt='{html.escape(f)}'></p>" for f in figures]
    parts.append("<h2>Overlays</h2>")
    parts += [f"<p><img src='{html.escape(f)}' alt='{html.escape(f)}'></p>" for f in overlays]
    if result.issues:
        parts += ["<h2>Issues</h2><ul>"] + [f"<li>{html.escape(x)}</li>" for x in result.issues[:500]] + ["</ul>"]
    parts += ["<h2>Per record</h2>", _table(result.per_record)]
    return "\n".join(parts) + "\n"
