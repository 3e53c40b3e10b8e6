"""Paying a city invoice by SEPA direct debit in the chat (issue 4), and the two flows beside it.

``form.py`` validates ``payment_form``; ``invoice_check.py`` proves possession of the invoice
(Kassenzeichen and amount) for all three flows; ``mandate.py`` creates and signs the mandate at
the portal; ``finish.py`` ends the form (done or cancelled); ``questions.py`` answers
``invoice_question`` and revokes mandates. ``extract.py`` finds values in free text.
"""
