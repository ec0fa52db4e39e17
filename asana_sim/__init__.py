"""Asana REST API simulator: generated data served under /api/1.0 with Asana's quirks."""
from .app import AsanaSimulator, ConnectionDropped
from .config import SimConfig
from .server import parse_fault_rates, serve_in_process, serve_in_thread

__all__ = ["AsanaSimulator", "SimConfig", "serve_in_thread", "serve_in_process", "ConnectionDropped",
           "parse_fault_rates"]
