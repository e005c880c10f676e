"""openIMIS's column sizes for the insuree fields the portal fills: the one copy of them.

A longer value makes openIMIS's mutation fail ("value too long for type character varying(N)"), so the
registration form, the eSignet claims and the openSPP mapping check against these before anything is sent
(insuree/models.py of openimis-be-insuree_py; `passport` is the identification number).
"""

# The order is the one the registration form shows its fields in (claims notes follow it).
INSUREE_MAX_LENGTHS = {"last_name": 100, "other_names": 100, "phone": 50, "email": 100, "passport": 25,
                       "current_address": 200, "chf_id": 50, "geolocation": 250}
