"""Tremplin's platform-neutral brain: what it understands and what it answers."""
