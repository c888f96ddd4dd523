"""Neural networks of the digitizer and the classical guesses they refine."""
from .signal_model import SignalModel, SignalModelConfig
from .signal_prior import beats_detect, signal_prior_fill

__all__ = ["SignalModel", "SignalModelConfig", "signal_prior_fill", "beats_detect"]
