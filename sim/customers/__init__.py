"""The customer floor: the population as columns of arrays, the registry of names that cross the
boundary between the market and the arrays, and the numba kernels that advance them. Imports only
``sim.scenario``."""
