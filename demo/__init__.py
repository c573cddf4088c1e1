"""Runs the whole system without Docker against the simulated house (make demo)."""
