"""Shared helpers of the sandbox openIMIS tests: an API client logged in as Admin (GraphQL queries and mutations,
mutationLogs, the sandbox's insurees) and a wait for a mutation to finish."""

import time

CREATE_FAMILY = """mutation CreateFamily($input: CreateFamilyMutationInput!) {
  createFamily(input: $input) { clientMutationId internalId } }"""
CREATE_INSUREE = """mutation CreateInsuree($input: CreateInsureeMutationInput!) {
  createInsuree(input: $input) { clientMutationId internalId } }"""
LOGS = """query($id: String) { mutationLogs(clientMutationId: $id) {
  edges { node { id status error clientMutationId clientMutationLabel jsonContent requestDateTime } } } }"""


class Api:
    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        token = self.http.post("/api/api_fhir_r4/login/", json={"username": "Admin", "password": "admin123"}).json
        self.headers = {"Authorization": f"Bearer {token['token']}"}

    def post(self, query, **variables):
        return self.http.post("/api/graphql", json={"query": query, "variables": variables}, headers=self.headers)

    def data(self, query, **variables):
        response = self.post(query, **variables)
        assert response.status_code == 200 and "errors" not in response.json, response.json
        return response.json["data"]

    def logs(self, client_mutation_id):
        return [e["node"] for e in self.data(LOGS, id=client_mutation_id)["mutationLogs"]["edges"]]

    def create_family(self, cmid, chf_id, **head):
        head = {"chfId": chf_id, "lastName": "Otieno", "otherNames": "Akinyi", "genderId": "F", "dob": "1992-05-17",
                "currentVillageId": 5, **head}
        return self.data(CREATE_FAMILY, input={"clientMutationId": cmid, "clientMutationLabel": "test",
                                               "locationId": 5, "headInsuree": head})["createFamily"]

    def insurees(self, chf_id):
        return self.http.get(f"/_sandbox/insurees?chf_id={chf_id}").json


def wait_done(api, cmid, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = api.logs(cmid)
        if logs and all(log["status"] != 0 for log in logs):
            return logs
        time.sleep(0.05)
    raise AssertionError("mutation still pending")
