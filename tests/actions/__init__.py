"""Tests of the action server (a package, so that pytest does not put this folder on sys.path:
rasa-sdk imports every subpackage of `actions` by name, and would find tests/actions/payment
as the top-level `payment` there)."""
