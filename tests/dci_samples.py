"""DCI sample data shared by the unit and integration tests: a beneficiary in the SPDCI IBR mock-up compliance shape
(tests/fixtures/dci/ibr_mockup_compliance_regRecordsSchema-DERIVED.json), and the same in the IBR document's."""

import copy

PERSON = {"@type": "Person",
          "identifier": [{"@type": "Identifier", "identifier_type": "UIN", "identifier_value": "847951632"}],
          "name": {"@type": "Name", "surname": "Phumchai", "given_name": "Sudarat"},
          "sex": "female", "birth_date": "1995-09-21"}
# A record in the mock-up compliance schema's shape: demographic_info is the Person.
MOCKUP_BENEFICIARY = {
    "assistance_unit": "1",
    "member": {"@type": "Member", "member_identifier": [{"identifier_type": "UIN", "identifier_value": "847951632"}],
               "demographic_info": PERSON},
    "programme_identifier": [{"programme_name": "Test Programme", "programme_code": "DCI001"}],
    "enrollment_date": "2025-07-01T10:00:00Z",
    "enrollment_status": "active",
}


def nested(beneficiary):
    """The same beneficiary in the IBR document's example shape: demographic_info.person."""
    entry = copy.deepcopy(beneficiary)
    entry["member"]["demographic_info"] = {"person": entry["member"]["demographic_info"]}
    return entry
