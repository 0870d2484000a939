"""Calibration to a firm's own transaction log (issue 17): ``sim calibrate``.

``logs`` reads and summarises a log, ``fit`` fits BG/NBD, Pareto/NBD and Gamma-Gamma (lifetimes),
``posterior`` draws each customer's starting state, ``scenario`` writes the calibrated scenario,
``backtest`` runs the engine over the holdout, ``report`` writes the figures and report, ``run`` and ``cli``
tie them together. A floor at the level of experiments and validation: it runs the model and its output.
"""
