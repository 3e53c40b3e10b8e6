"""The citizen's web chat page (WEBCHAT_PORT) and the assistant's privacy notice."""
