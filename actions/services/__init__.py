"""Services beside payment (issue 5): answers from the catalogue, requests filed in the portal.

``catalogue.py`` reads ``data/catalogue/services.yml`` and finds what a question is about;
``faq.py`` answers it with the source link. ``forms.py`` validates the request forms
(certificate, bulky waste, issue report, dog registration, appointment), ``status.py`` the
status question, ``handoff.py`` the way to a person, ``feedback.py`` the rating after a request;
``submit.py`` files a completed form in the portal. The pure checks are ``dates.py`` (German and
English dates) and ``checks.py`` (references, streets, lengths, counts).
"""
