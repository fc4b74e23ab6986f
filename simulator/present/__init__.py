"""Layer 6: how results look (money and percent formatting, matplotlib charts, the report's
HTML and PDF pages). Returns figures and text; writing folders is :mod:`simulator.output`'s.
"""
