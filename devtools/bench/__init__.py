"""`make bench`: our assistant under load, beside a stock Rasa 3.6 assistant on the same machine.

`python -m devtools.bench` starts the whole system (one replica, SQLite) on free ports in a
temporary folder, runs simulated citizens through realistic conversations over the REST
channel, does the same against `rasa init`'s moodbot, and reports figures, targets and ratios
(ours over the baseline) on stdout, as JSON and as a PNG latency plot under `var/bench/`.
"""
