"""Use cases: one function per route or message, calling the domain and the store."""
