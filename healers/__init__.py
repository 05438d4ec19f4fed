"""Healers: actions that rules and Alertmanager alerts trigger (charters, webhooks, regeneration)."""
