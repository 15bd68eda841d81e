"""Where models come from: the catalog (``catalog``), resolving names, ids and paths to model files, checksums
(``checksums``), the registry of installed models (``installed``), imports of models the user has
(``imports``, ``gguf_files``), and downloads from the Hugging Face hub (``downloads``, with the access token
in ``credentials``). Only ``downloads`` touches the network, and only when called.
"""
