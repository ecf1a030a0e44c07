"""Screens pushed over the main one: history, diff, inspect, rate, promote."""
