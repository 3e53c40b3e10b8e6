"""Pure validators for what citizens type: IBAN, Kassenzeichen, amount, e-mail, names, codes.

Each module has the shape of a python-stdnum module: ``compact``, ``validate`` (returns the
clean value or raises an error with a stable ``code``), ``is_valid`` and ``format``. They import
only the standard library and python-stdnum, so the portal can use them as well.
"""
