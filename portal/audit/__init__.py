"""Append-only audit events, written in the same transaction as the change they record (`models.py`), and the
audit page for admins and supervisors (`views.py`)."""

from .models import ACTION_LABELS, AuditEvent, record
from .views import action_label, bp, filtered_events

__all__ = ["ACTION_LABELS", "AuditEvent", "action_label", "bp", "filtered_events", "record"]
