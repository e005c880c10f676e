"""Messages that jobs store for staff: the English text, as peers and logs get it, with a key and parameters
beside it, so a page shows the message in the reader's language.

A job builds `message("packet.mosip_status", status="PROCESSED")`; `store()` (or `split()`) puts it in the text
column and its `_key` / `_params` columns. A page shows them with
`{{ stored_message(row.detail_key, row.detail_params, row.detail) }}`. A row stored before the keys existed, or
with a key this version does not know, shows its stored text as it is.

A parameter may be a peer's own words (inserted as they are) or another Message (shown in the reader's language
too): a failure reason inside "attempt 2 failed, will retry: …".
"""

from dataclasses import dataclass

from flask_babel import gettext


def N_(msgid):
    """Marks a msgid for `translate update` without translating it: the stored text is English whatever the
    locale (and a worker has no request to choose one)."""
    return msgid


MESSAGES = {
    # French typography puts a space before the semicolon: the list of problems is a message too.
    "joined": N_("%(first)s; %(rest)s"),

    # packets: timeline details and failure reasons (portal/packets/)
    "packet.received": N_("%(topic)s received from OpenCRVS (%(source)s)"),
    "packet.retried_by_supervisor": N_("retried by a supervisor"),
    "packet.retried_from_jobs": N_("retried from the jobs page"),
    "packet.unexpected_error": N_("unexpected error (%(error)s)"),
    "packet.attempt_failed": N_("attempt %(attempt)s failed: %(detail)s"),
    "packet.attempt_failed_will_retry": N_("attempt %(attempt)s failed, will retry: %(detail)s"),
    "packet.rid": N_("RID %(rid)s (%(how)s)"),
    "packet.rid_from_aid": N_("the MOSIP AID of the OpenCRVS record"),
    "packet.rid_local": N_("generated locally"),
    "packet.rid_from_mosip": N_("from MOSIP's RID generator"),
    "packet.no_uin_known": N_("no UIN known for this record: the birth was not registered through the portal"),
    "packet.birth_ended_without_uin": N_("no UIN known for this record: its birth (packet %(packet)s) ended "
                                         "%(state)s without a UIN"),
    "packet.birth_rid_unknown": N_("no UIN known for this record: MOSIP's identity repository has no identity for "
                                   "the birth's RID %(rid)s"),
    "packet.birth_waiting": N_("the record's birth (packet %(packet)s, %(state)s) has no UIN yet; the correction "
                               "waits for it"),
    "packet.updates_identity": N_("updates the identity made by packet %(packet)s (RID %(rid)s); its UIN %(how)s"),
    "packet.uin_as_returned": N_("as returned to OpenCRVS"),
    "packet.uin_from_idrepo": N_("from MOSIP's identity repository"),
    "packet.created_in_mosip": N_("packet %(process)s/%(source)s created in MOSIP"),
    "packet.death_packet_created": N_("death packet %(process)s/%(source)s created"),
    "packet.triggered": N_("processing triggered"),
    "packet.triggered_again": N_("processing triggered (workflow instance already present)"),
    "packet.mosip_status": N_("MOSIP status %(status)s"),
    "packet.mosip_status_again": N_("MOSIP answers again: status %(status)s"),
    "packet.status_not_known": N_("not known yet"),
    "packet.mosip_refused": N_("MOSIP did not process the packet (status %(status)s)"),
    "packet.mosip_deactivated": N_("MOSIP status %(status)s: UIN deactivated"),
    "packet.mosip_waiting_credential": N_("MOSIP status %(status)s; waiting for the credential"),
    "packet.rid_unknown": N_("MOSIP does not know the packet's RID"),
    "packet.poll_limit": N_("no final status from MOSIP after %(polls)s polls"),
    "packet.uin_issued": N_("UIN issued (%(how)s); returning %(what)s"),
    "packet.by_websub": N_("WebSub credential"),
    "packet.by_idrepo": N_("credential not received: UIN read from the identity repository"),
    "packet.returning_vid": N_("the VID"),
    "packet.returning_vid_no_uin": N_("the VID (the credential carries no UIN)"),
    "packet.returning_uin": N_("the UIN (PORTAL_MOSIP_RETURN_ID=uin)"),
    "packet.returning_token": N_("the UIN token for %(partner)s"),
    "packet.no_uin_nor_vid": N_("the credential carries neither a UIN nor a VID"),
    "packet.idrepo_has_no_uin": N_("MOSIP generated a UIN but the identity repository has none for the RID"),
    "packet.credential_unusable": N_("credential could not be used: %(detail)s"),
    "packet.death_processed": N_("MOSIP processed the death packet"),
    "packet.no_national_id": N_("the deceased has no national ID"),
    "packet.no_national_id_to_deactivate": N_("the death record carries no national ID to deactivate"),
    "packet.deactivation_sent": N_("deactivation sent to the identity repository"),
    "packet.deceased_uin_unknown": N_("MOSIP does not know the deceased's UIN"),
    "packet.deceased_uin_not_found": N_("UIN not found in MOSIP for deactivation"),
    "packet.deactivated_in_idrepo": N_("UIN deactivated in the identity repository"),
    "packet.error_sent": N_("the error was sent back to OpenCRVS"),
    "packet.outcome_sent": N_("OpenCRVS has the outcome"),
    "packet.outcome_not_sent": N_("nothing sent to OpenCRVS: %(reason)s"),
    "packet.sent_by_earlier_attempt": N_("%(done)s (sent by an earlier attempt that stopped before saving it)"),
    "packet.outcome_in_flight": N_("an earlier send to OpenCRVS may still be in flight; looking again in "
                                   "%(seconds)s s"),
    "packet.outcome_resent": N_("an earlier send to OpenCRVS got no answer: sent again unchanged, which OpenCRVS "
                                "ignores if it has it already"),
    "packet.outcome_possibly_twice": N_("an earlier send to OpenCRVS got no answer and this OpenCRVS cannot tell a "
                                        "repeat: sent again, so it may have it twice"),
    "packet.outcome_not_resent": N_("two sends to OpenCRVS got no answer and it cannot tell a repeat: not sent a "
                                    "third time; check the record in OpenCRVS, then retry or reject the packet"),
    "packet.by_websub_via": N_("WebSub credential, found by %(by)s"),
    "packet.matched_by.registration_number": N_("the registration number"),
    "packet.matched_by.opencrvs_id": N_("the OpenCRVS id"),
    "packet.matched_by.uin": N_("its UIN, after it had come for no known packet"),

    # enrollment: item reasons (portal/enrollment/); `mapping.<field>.<code>` keys name the field to supply
    "mapping.family_name.missing": N_("family name missing in openSPP"),
    "mapping.family_name.too_long": N_("family name longer than openIMIS allows (%(limit)s)"),
    "mapping.given_name.missing": N_("given name missing in openSPP"),
    "mapping.given_name.too_long": N_("given names longer than openIMIS allows (%(limit)s)"),
    "mapping.sex.missing": N_("sex missing in openSPP"),
    "mapping.sex.unknown": N_("sex “%(sex)s” has no openIMIS gender"),
    "mapping.birthdate.missing": N_("birthdate missing in openSPP"),
    "mapping.birthdate.in_future": N_("birthdate is in the future"),
    "enrollment.already_enrolled": N_("already enrolled (insurance number %(number)s)"),
    "enrollment.already_in_batch": N_("already in enrollment batch #%(batch)s"),
    "enrollment.family_refused": N_("openIMIS refused the family: %(error)s"),
    "enrollment.policy_refused": N_("openIMIS refused the policy: %(error)s"),
    "enrollment.no_product": N_("openIMIS has no product %(code)s"),
    "enrollment.no_officer": N_("openIMIS has no enrolment officer %(code)s"),
    "enrollment.no_free_number": N_("no free insurance number found"),
    "enrollment.number_refused": N_("the insurance number was refused; another will be tried"),
    "enrollment.family_not_linked": N_("openIMIS has not linked the new family yet"),
    "enrollment.will_retry": N_("%(error)s — will retry"),

    # registration: progress note and failure (portal/registration/)
    "registration.openimis_busy": N_("openIMIS is unreachable or busy; the registration is kept and will be sent "
                                     "again automatically."),
    "registration.sent": N_("sent to openIMIS"),
    "registration.no_family": N_("openIMIS has no family whose head has insurance number %(number)s"),
    "registration.number_taken": N_("the insurance number %(number)s is already used in openIMIS"),
    "registration.number_missing": N_("no insurance number was entered"),
    "registration.number_invalid": N_("the insurance number is not valid for openIMIS: %(problem)s"),

    # a packet state inside a sentence ("ended rejected", "packet 3, processing by MOSIP"): lower case, unlike
    # the dashboard's labels (portal/packets/views.py STATE_LABELS); one key per code of portal/packets/states.py
    "packet.state.received": N_("received"),
    "packet.state.packet_created": N_("packet created"),
    "packet.state.synced": N_("sent to MOSIP"),
    "packet.state.processing": N_("processing by MOSIP"),
    "packet.state.uin_issued": N_("UIN issued"),
    "packet.state.deactivation_requested": N_("deactivation requested"),
    "packet.state.deactivated": N_("deactivated"),
    "packet.state.notified": N_("OpenCRVS notified"),
    "packet.state.retrying": N_("retrying"),
    "packet.state.failed": N_("failed"),
    "packet.state.rejected": N_("rejected"),
}


@dataclass(frozen=True)
class Message:
    key: str
    params: dict  # as stored: a nested Message is {"key", "params", "text"}
    text: str  # English, exactly what the text column held before keys existed

    def __str__(self):
        return self.text  # an exception raised with a Message reads as its English text in logs and jobs


def message(key, **params):
    """The message `key` with `params` (a peer's text, a number, or another Message)."""
    english = {name: value.text if isinstance(value, Message) else value for name, value in params.items()}
    stored = {name: _stored(value) for name, value in params.items()}
    return Message(key, stored, _format(MESSAGES[key], english))


def joined(parts):
    """Several messages as one, "a; b; c" in English (each part shown in the reader's language)."""
    first, *rest = parts
    return message("joined", first=first, rest=joined(rest)) if rest else first


def split(value, limit=None):
    """(text, key, params) for a text column and its `_key`, `_params` columns. Plain text (a peer's or a
    person's own words) has no key. `limit` cuts the text only."""
    if isinstance(value, Message):
        text, key, params = value.text, value.key, value.params
    else:
        text, key, params = value, None, None
    return (text[:limit] if limit and text else text), key, params


def store(row, column, value, limit=None):
    """Set `row.<column>` (the text) and `row.<column>_key`, `row.<column>_params` from a Message, plain text or
    None."""
    text, key, params = split(value, limit)
    setattr(row, column, text)
    setattr(row, f"{column}_key", key)
    setattr(row, f"{column}_params", params)


def reason(exc, limit=None):
    """What an exception says: the Message it was raised with, else its text (a peer's words, as they are)."""
    first = exc.args[0] if exc.args else None
    if isinstance(first, Message):
        return first
    return str(exc)[:limit] if limit else str(exc)


def render(key, params, text):
    """A stored message in the reader's language; its stored text when the key is missing or unknown."""
    template = MESSAGES.get(key) if key else None
    if template is None:
        return text or ""
    values = {name: _shown(value) for name, value in (params or {}).items()}
    try:
        return gettext(template, **values)
    except (KeyError, TypeError, ValueError):  # parameters that do not fit (a row from another version)
        return text or ""


def keys(key, params):
    """Every key of a stored message, nested ones too: a page tests those, never the English words."""
    found = {key} if key else set()
    for value in (params or {}).values():
        if isinstance(value, dict):
            found |= keys(value.get("key"), value.get("params"))
    return found


def init_app(app):
    """`stored_message(key, params, text)` for the templates (the app factory calls this)."""
    app.add_template_global(render, "stored_message")


def _format(template, values):
    # gettext formats only when there are parameters; so does the English text, so both read alike.
    return template % values if values else template


def _stored(value):
    if isinstance(value, Message):
        return {"key": value.key, "params": value.params, "text": value.text}
    return value


def _shown(value):
    if isinstance(value, dict):
        return render(value.get("key"), value.get("params"), value.get("text"))
    return value
