"""The supplychain command line."""
