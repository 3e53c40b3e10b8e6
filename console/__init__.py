"""The staff console (CONSOLE_PORT): review conversations, learn where the assistant fails."""
