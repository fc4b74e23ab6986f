"""Layer 7: every file and folder kposim writes (results folders, reports, workbooks, audit
files, the chart worker pool).
"""
