"""Settings, errors, connections, locks and the embedded and throwaway PostgreSQL servers."""
