"""Webhook endpoints and the delivery of the events outbox to them (API.md "Events and webhooks")."""
