"""The ``communitas`` command line: one module per command group, registered in ``app.py``.

The CLI owns all printing and progress bars; library code never prints.
"""
