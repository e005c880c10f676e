"""Job handlers of the enrollment capability."""

from portal import jobs
from portal.enrollment import batches


@jobs.handler(batches.JOB_KIND)
def enroll_item(payload):
    """Create the openIMIS family (the openSPP individual as head) and its policy for one batch item."""
    batches.process_item(payload["item_id"])
