"""dbt invocation, the data-quality gates of a build, and publishing a checked build."""
