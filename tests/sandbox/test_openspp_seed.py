"""The sandbox openSPP seed: deterministic, about 1,000 individuals, with the cases the portal must handle."""

from collections import Counter

from portal_sandbox.openspp import seed


def test_seed_is_the_same_every_time():
    first, _ = seed.generate()
    second, _ = seed.generate()
    assert first == second


def test_seed_has_a_thousand_individuals_in_households():
    individuals, groups = seed.generate()
    assert len(individuals) == 1000
    assert 200 < len(groups) < 500
    assert {i["household_id"] for i in individuals} == {g["id"] for g in groups}
    assert len({i["id"] for i in individuals} | {g["id"] for g in groups}) == len(individuals) + len(groups)


def test_seed_has_missing_birthdates_missing_ids_and_shared_names():
    individuals, _ = seed.generate()
    assert 20 < sum(1 for i in individuals if i["birthdate"] is None) < 100
    assert 20 < sum(1 for i in individuals if not i["reg_ids"]) < 100
    names = Counter(i["name"] for i in individuals)
    assert 5 < sum(1 for count in names.values() if count > 1) < 80


def test_seed_has_non_ascii_and_mixed_case_names():
    individuals, _ = seed.generate()
    assert any(not i["name"].isascii() for i in individuals)
    assert any("\u0900" <= ch <= "\u097f" for i in individuals for ch in i["name"])  # Devanagari
    mixed = [i for i in individuals if i["name"] != i["name"].upper()]
    assert 30 < len(mixed) < 150  # created through the REST API: the name is kept as sent


def test_planted_individuals_are_where_the_facts_say():
    individuals = {i["id"]: i for i in seed.generate()[0]}
    assert individuals[seed.PLANTED["complete"]]["name"] == "SHRESTHA, SITA KUMARI"
    assert individuals[seed.PLANTED["no_birthdate"]]["birthdate"] is None
    assert not individuals[seed.PLANTED["no_ids"]]["reg_ids"]
    assert individuals[seed.PLANTED["no_ids"]]["name"] == "José Muñoz"
    assert individuals[seed.PLANTED["no_gender"]]["gender"] is None
    first, second = seed.PLANTED["same_name"]
    assert individuals[first]["name"] == individuals[second]["name"] == "GURUNG, MAYA"
    assert individuals[seed.PLANTED["non_ascii"]]["name"] == "NGUYỄN, THỊ HƯƠNG"
    assert seed.PLANTED["group"] not in individuals


def test_name_follows_the_openspp_onchange_rule():
    assert seed.ui_name("Shrestha", "Sita", "Kumari") == "SHRESTHA, SITA KUMARI"
    assert seed.ui_name("Nguyễn", "Thị Hương", None) == "NGUYỄN, THỊ HƯƠNG"
