"""Prompts over a transcript with a local GGUF model (llama-cpp-python): prompt lists, message assembly, the prompt runner, KV states kept on disk, map-reduce chunking, llama.cpp's logs.
"""
