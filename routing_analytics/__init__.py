"""The application around the thin loader: command line, warehouse, operations, platform.

cli/ parses a command and calls one function of operations/ (or of warehouse/, platform/);
operations/ are the jobs (scheduled run, retention, forget-tenant, checks, ROI, summary);
warehouse/ runs dbt and publishes; platform/ holds settings, errors, connections and the
embedded server. tools/ (sample data, demo, benchmark) are not the product: nothing outside
cli/ imports them.
"""
