"""The shop's PortOne integration: client (HTTP), verify (pure checks), views (routes)."""
