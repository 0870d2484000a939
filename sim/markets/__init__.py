"""The market actors (Mesa agents): one module per relationship market (D1)."""

from sim.markets.firm import Firm

__all__ = ["Firm"]
