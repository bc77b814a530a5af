"""Moderation rules: the hook chain, the shipped hooks, fingerprints and the strike rule."""
