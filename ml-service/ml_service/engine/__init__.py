"""Pure segmentation logic (numpy/scikit-learn): no I/O, no HTTP, no database."""
