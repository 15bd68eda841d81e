"""The main window: its layout, actions, toolbar and menus, the prompt list, the progress panel and the stall meter.
"""
