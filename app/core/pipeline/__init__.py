"""Where the domains meet: the analysis of one file and of a batch, its events, the engines it drives, and the recorder into the library.

The only core package that imports speech, llm, library and export; those never import each other.
"""
