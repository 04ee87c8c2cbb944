"""Take-home exercise harness: bundle exercises for candidates, grade their notebooks."""
__version__ = "0.1.0"
