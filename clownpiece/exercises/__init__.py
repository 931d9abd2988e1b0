"""Exercises: the checks the chapters run on a student's code, and the notebook helpers."""
