"""The market floor: the firms and the other five relationship markets' actors, as Mesa agents.
Imports ``sim.scenario`` and the customer registry; never the model above it."""
