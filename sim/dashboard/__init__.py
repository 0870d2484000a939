"""``sim dashboard``: the classroom app (Mesa SolaraViz)."""
