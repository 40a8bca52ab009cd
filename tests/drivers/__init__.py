"""Test drivers: act as the buyer in an emulated PG's hosted window, over plain HTTP."""
