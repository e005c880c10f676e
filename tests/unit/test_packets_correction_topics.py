"""`packets subscribe` topic selection: corrections only on request, each topic once."""

from portal.packets.cli import opencrvs_topics


def test_default_topics_are_the_registrations():
    assert opencrvs_topics() == ("BIRTH_REGISTERED", "DEATH_REGISTERED")


def test_corrections_add_both_correction_topics():
    assert opencrvs_topics(corrections=True) == ("BIRTH_REGISTERED", "DEATH_REGISTERED", "BIRTH_CORRECTED",
                                                 "DEATH_CORRECTED")


def test_given_topics_are_kept_and_not_repeated():
    assert opencrvs_topics(("BIRTH_CORRECTED",), corrections=True) == ("BIRTH_CORRECTED", "DEATH_CORRECTED")
    assert opencrvs_topics(("BIRTH_REGISTERED",)) == ("BIRTH_REGISTERED",)
