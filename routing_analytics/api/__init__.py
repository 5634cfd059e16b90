"""The analytics API and the ROI dashboard that `routing-analytics serve` runs."""

# Where `serve` listens unless told otherwise (the demo prints it).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8710
