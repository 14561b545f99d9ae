"""The peer in ``bench/launch.py``: a plain pylti1p3 Flask tool, written the way pylti1p3's README shows."""
