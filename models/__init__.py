"""Scenario models: data contract, validation, formulation and synthetic data."""
