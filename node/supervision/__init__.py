"""Supervision (电子监察) and what the public says: cards, ratings and statistics.

Owns: yellow and red cards raised by one scheduled scan (cards.py), 好差评 ratings with their
rectification tasks and appeals (ratings.py), and subtree statistics rolled up the tree (stats.py).
May import: cases (states, deadlines), catalogue, store, the shared basics — never runtime, desk
or cli.
"""
