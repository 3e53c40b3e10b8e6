"""Who a portal lookup is made for: the conversation (sender id) and its channel.

The portal counts failed invoice and status lookups per client as well as per Kassenzeichen or
reference, and shows a request's status without a second fact only to the conversation that
filed it; both need every lookup made for a citizen to name the conversation. The channel is
the one Rasa recorded for the latest message, never one the citizen could name, and is written
the way ``actions/services/submit.py`` stores it with a filed request.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.portal_client import ClientId


def channel_of(tracker: Tracker) -> str:
    channel = str(tracker.get_latest_input_channel() or "rest")
    return channel if channel.replace("_", "").replace("-", "").isalnum() else "rest"


def client_of(tracker: Tracker) -> ClientId:
    return ClientId(sender=str(tracker.sender_id), channel=channel_of(tracker)[:32])
