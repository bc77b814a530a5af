"""Pure rules: no AWS, no Chalice, no storage (ruff bans those imports here: domain/ruff.toml)."""
