"""The output floor: one run's results folder, headline metrics and figures."""
