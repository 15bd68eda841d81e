"""The files of a session: the GUI's picture of each file, the file list, the drop zone, running finished files again, exporting them.
"""
