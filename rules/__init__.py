"""The rules several processes share: what an IBAN, a Kassenzeichen, an amount, … must be.

The action server (the chat's forms), the portal (its API) and the redaction of the tracker store
all check these values with the modules here and nowhere else:

- ``iban``, ``bic``: the debtor's account (ISO 13616, ISO 9362), SEPA zone only;
- ``kassenzeichen``: the city treasury's reference of an invoice;
- ``amount``: euro amounts in German or English notation;
- ``email``: the address the signing code and the confirmation go to;
- ``account_holder``: the debtor's name;
- ``signing_code``: the six digits that sign a mandate;
- ``creditor_id``, ``mandate_reference``: the SEPA identifiers AT-02 and AT-01 the portal uses.

Each module has the shape of a python-stdnum module: ``compact``, ``validate`` (returns the
clean value or raises the module's ``InputError`` with a stable ``code``, which the chat maps to
a German or English message for the citizen), ``is_valid`` and ``format``, and a docstring with
examples that run as doctests. They import only the standard library and python-stdnum (never
Rasa, sanic, SQLAlchemy or the apps), so that every process can use them.
"""
