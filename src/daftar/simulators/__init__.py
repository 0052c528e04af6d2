"""Stand-ins for the outside world, for the demo city and for tests.

``daftar.simulators.agencies`` behaves like several push agencies at once (see ``docs/inquiries.md``).
Nothing here imports Django: a simulator is a separate process that talks to Daftar over HTTP only.
"""
