"""One file's results: the Transcript tab, one tab per prompt, the Ask line and the context meter.
"""
