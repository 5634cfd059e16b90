"""The jobs the command line runs: load, scheduled run, checks, retention, forget-tenant, ROI."""
