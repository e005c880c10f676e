"""Forms of the supervisor dashboard."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class RetryForm(FlaskForm):
    """Only the CSRF token: the packet is in the URL."""

    submit = SubmitField(_l("Retry"))


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason sent back to OpenCRVS"),
        validators=[DataRequired(message=_l("Say why the record is rejected.")), Length(max=500)],
        description=_l("Plain words, no personal data: OpenCRVS shows it to the registrar."),
    )
    submit = SubmitField(_l("Reject and tell OpenCRVS"))
