"""The Models window (fetch, import, choose, remove models; the hub settings) and the first-run bar."""
