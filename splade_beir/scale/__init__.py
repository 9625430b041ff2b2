"""Scaling out: corpora encoded shard by shard (local worker processes, Ray) and search fanned out."""
