"""Storage: PynamoDB models, their queries and the post lifecycle transitions (the only layer that imports PynamoDB)."""
