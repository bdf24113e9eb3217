"""Reviewing generated policy documents: a small IAM evaluator for tests and proofs. No AWS."""
