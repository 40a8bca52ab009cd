"""The merchant: the shop's pages, orders, step log and one package per PG (portone, toss)."""
