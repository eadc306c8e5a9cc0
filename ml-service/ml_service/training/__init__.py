"""Training: datasets, the trainer (jobs, publishing) and its worker process."""
