"""Tremplin on a real Synapse: conversations, onboarding rooms, restarts and rate limits."""
