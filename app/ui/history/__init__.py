"""The History dock: stored analyses, search, open, resume and delete, and the worker's side of the library.
"""
