"""Addresses as the public pages show them: masked, since a personal link can leak."""

from __future__ import annotations


def mask_address(address: str) -> str:
    """« j•••@e•••.fr »: enough for its owner to recognise, too little for whoever holds a
    leaked unsubscribe link to learn the address (issue 10, item 6)."""
    local, _, domain = address.rpartition("@")
    name, dot, suffix = domain.rpartition(".")
    masked_domain = f"{name[:1]}•••{dot}{suffix}" if dot else f"{domain[:1]}•••"
    return f"{local[:1]}•••@{masked_domain}"
