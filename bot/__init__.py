"""Agenda and reminder bot for formal organisations: Discord and console adapters over one core."""
