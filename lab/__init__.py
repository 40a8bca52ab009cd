"""The attack lab: a malicious browser's scripts run against this site over HTTP, never through its code."""
