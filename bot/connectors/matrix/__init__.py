"""Tremplin on Matrix (matrix-nio with end-to-end encryption), tested against a real Synapse."""

from bot.connectors.matrix.connector import MatrixConnector

__all__ = ["MatrixConnector"]
