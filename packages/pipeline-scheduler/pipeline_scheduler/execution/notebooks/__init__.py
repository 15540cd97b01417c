"""Notebook jobs: parameters, kernels, artifacts and warm kernels (the server's side and the runner's)."""
