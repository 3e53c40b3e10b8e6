"""The action server (rasa-sdk): forms, validation and the calls to the city's portal.

rasa-sdk imports every module of this package to find the actions. Nothing here imports `rasa`,
so the action server can move to a newer Python on its own.
"""
