"""Serving: the model store, versions on disk, single and batch prediction, CSV input."""
