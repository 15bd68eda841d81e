"""The history library: every analysis stored in SQLite as it runs (the store, its rows, the schema and its migrations).
"""
