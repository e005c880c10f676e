"""The GraphQL documents the client sends to openIMIS, each valid against upstream openIMIS and the forked reference
SDL (tests/unit/test_openimis_input.py and test_openimis_reference_schema.py check them against both).

`Q_CODES` maps a code list to (document, answer key, code field, label field).
"""

INSUREE_SELECTION = """id uuid chfId lastName otherNames dob head marital passport phone email currentAddress
  geolocation cardIssued photoDate jsonExt gender { code } typeOfId { code } profession { id } education { id }
  relationship { id } currentVillage { id } family { id uuid }"""
FAMILY_SELECTION = f"id uuid poverty address jsonExt location {{ id }} headInsuree {{ {INSUREE_SELECTION} }}"

Q_INSUREES = f"""query Insurees($chfId: String, $passport: String, $clientMutationId: String, $first: Int) {{
  insurees(chfId: $chfId, passport: $passport, clientMutationId: $clientMutationId, first: $first) {{
    totalCount edges {{ node {{ {INSUREE_SELECTION} }} }} }} }}"""
Q_FAMILIES = f"""query Families($headChfId: String, $clientMutationId: String, $uuid: String) {{
  families(headInsuree_ChfId: $headChfId, clientMutationId: $clientMutationId, uuid: $uuid, first: 2) {{
    edges {{ node {{ {FAMILY_SELECTION} }} }} }} }}"""
Q_MUTATION_LOGS = """query MutationLogs($clientMutationId: String) {
  mutationLogs(clientMutationId: $clientMutationId, orderBy: ["requestDateTime"]) {
    edges { node { id status error clientMutationId requestDateTime } } } }"""
M_CREATE_FAMILY = """mutation CreateFamily($input: CreateFamilyMutationInput!) {
  createFamily(input: $input) { clientMutationId internalId } }"""
M_CREATE_INSUREE = """mutation CreateInsuree($input: CreateInsureeMutationInput!) {
  createInsuree(input: $input) { clientMutationId internalId } }"""
M_CREATE_POLICY = """mutation CreatePolicy($input: CreatePolicyMutationInput!) {
  createPolicy(input: $input) { clientMutationId internalId } }"""
Q_CODES = {
    "genders": ("query Genders { insureeGenders { code gender altLanguage sortOrder } }", "insureeGenders",
                "code", "gender"),
    "identification_types": ("query IdentificationTypes { identificationTypes { code identificationType "
                             "altLanguage sortOrder } }", "identificationTypes", "code", "identificationType"),
    "professions": ("query Professions { professions { id profession altLanguage sortOrder } }", "professions",
                    "id", "profession"),
    "educations": ("query Educations { educations { id education altLanguage sortOrder } }", "educations",
                   "id", "education"),
    "relations": ("query Relations { relations { id relation altLanguage sortOrder } }", "relations", "id",
                  "relation"),
}
Q_LOCATIONS = """query Locations($type: String, $after: String) {
  locations(type: $type, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { id uuid code name type parent { id } } } } }"""
Q_PRODUCTS = """query Products($location: Int, $after: String) {
  products(location: $location, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id uuid code name insurancePeriod lumpSum dateFrom dateTo location { id } } } } }"""
Q_OFFICERS = """query PolicyOfficers($after: String) {
  policyOfficers(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { id uuid code lastName otherNames phone email } } } }"""
Q_POLICY_VALUES = """query PolicyValues($enrollDate: DateTime!, $productId: Int!, $familyId: Int!) {
  policyValues(stage: "N", enrollDate: $enrollDate, productId: $productId, familyId: $familyId) {
    policy { startDate expiryDate value } warnings } }"""
