"""The shop's Toss Payments integration: client (HTTP), verify (pure checks), views (routes)."""
