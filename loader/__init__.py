"""The thin loader: read files, turn lines into records, apply privacy at the edge, land them
in schema raw with COPY (or quarantine them with a reason).

reader.py reads files, records.py turns lines into records, privacy.py scrubs them,
streams.py names the streams and their fields, landing.py lands them, raw_schema.py applies
ddl/raw.sql. It needs only routing_analytics.platform (errors, connections).
"""
