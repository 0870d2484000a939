"""The customer floor: the population as columns of arrays, the registry of names that cross the
boundary between the market and the arrays, and the numba kernels that advance them. Imports only
``sim.scenario`` (and ``sim.codegen``).

Importing the floor first chooses the kernels' vector width (``sim.codegen``: measured once per CPU
model, before numba builds its code generator), then installs its numba cache locators (``cache.py``):
every kernel's disk cache is stamped with the sources of all the floor's modules, since the kernels
inline helpers across them.
"""

from sim import codegen

codegen.configure()  # before the first @njit of the floor (sim/codegen.py)

from sim.customers import cache  # noqa: E402

cache.install()
