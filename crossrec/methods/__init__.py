"""Transfer methods, one module and one class each, registered explicitly.

Importing this package is cheap (no torch); `registry.get_method` imports the method modules.
"""
