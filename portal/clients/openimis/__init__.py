"""openIMIS: insuree, family and policy creation and look-ups over its GraphQL API; the only place that knows
openIMIS's wire format (../shared/specs/openimis/README.md).

  client.py     OpenImisClient (login and token, GraphQL calls, mutations and their polling, look-ups), from_config
  documents.py  the GraphQL documents it sends
  inputs.py     the mutation inputs (createFamily, createInsuree, createPolicy) and the fields openIMIS knows
  mutations.py  what mutationLogs says about a clientMutationId (MutationResult)
  records.py    insurees, families, code lists, locations, products, officers as read from GraphQL nodes
  numbers.py    the insuree number (chfId) rule: openIMIS's check and numbers that pass it
  columns.py    openIMIS's column sizes (the one copy the forms and mappings check against)
  errors.py     a refused mutation's error text, in words for staff and as openIMIS's codes; PEER

Typical use (a job handler; the caller owns the idempotency key)::

    client = openimis.from_config(current_app.config)
    client.create_family(head, client_mutation_id=key, location_id=village_id)
    client.wait_for_mutation(key)                  # PermanentPeerError with plain text if openIMIS refused it
    family = client.find_family_by_mutation(key)   # ids and the head's insuree number
    client.create_policy(family_id=family.id, product_id=p, officer_id=o, enroll_date=today,
                         client_mutation_id=f"{key}:policy")

Callers import the package (`from portal.clients import openimis`) and use `openimis.<name>` for the names below.
"""

from .client import OpenImisClient, from_config
from .columns import INSUREE_MAX_LENGTHS
from .errors import PEER, error_codes, plain_error
from .inputs import (MUTATION_META_FIELDS, UPSTREAM_FAMILY_FIELDS, UPSTREAM_INSUREE_FIELDS, family_input,
                     insuree_input, policy_input)
from .mutations import MutationResult, parse_mutation_logs
from .numbers import InsureeNumberRule, generate_insuree_number, validate_insuree_number
from .records import CodeItem, Family, Insuree, Location, Officer, PolicyTerms, Product, decode_id

__all__ = [
    "INSUREE_MAX_LENGTHS", "MUTATION_META_FIELDS", "PEER", "UPSTREAM_FAMILY_FIELDS", "UPSTREAM_INSUREE_FIELDS",
    "CodeItem", "Family", "Insuree", "InsureeNumberRule", "Location", "MutationResult", "Officer", "OpenImisClient",
    "PolicyTerms", "Product",
    "decode_id", "error_codes", "family_input", "from_config", "generate_insuree_number", "insuree_input",
    "parse_mutation_logs", "plain_error", "policy_input", "validate_insuree_number",
]
