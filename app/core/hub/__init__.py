"""Where models come from: the catalog, resolving names and paths to model files, checksums. Never touches the network.
"""
