"""``sim validate``: the engine in configurations with known answers, and the documents' figures."""
