from celery import shared_task

from . import interns


@shared_task(name="responders.tasks.intern_terms_end")
def intern_terms_end() -> int:
    """Beat: end the access of every intern whose term is over (safe to run twice)."""
    return interns.intern_terms_end_due()
