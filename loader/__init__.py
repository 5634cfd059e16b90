"""Routing analytics: land raw router records in PostgreSQL and drive the dbt project."""
