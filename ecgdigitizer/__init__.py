"""ecgdigitizer: turn images of 12-lead paper ECGs into WFDB signals.

The package is organised by pipeline stage; see README.md for the map.
"""
__version__ = "0.1.0"
