"""The customer floor: the population as columns of arrays, the registry of names that cross the
boundary between the market and the arrays, and the numba kernels that advance them. Imports only
``sim.scenario`` (and ``sim.codegen``).

Importing the floor installs its numba cache locators first (``cache.py``): every kernel's disk cache is
stamped with the sources of all the floor's modules, since the kernels inline helpers across them.
"""

from sim.customers import cache

cache.install()
