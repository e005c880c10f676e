"""The registration form: the openIMIS insuree and family fields (lengths as openIMIS's columns)."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from portal.clients.openimis.columns import INSUREE_MAX_LENGTHS

ACTIONS = ("save", "verify", "manual", "confirm", "remove_photo")
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _not_future(form, field):
    if field.data and field.data > date.today():
        raise ValidationError(_l("The birth date cannot be in the future."))
    if field.data and field.data.year < 1880:
        raise ValidationError(_l("The birth date is too far in the past."))


class RegistrationForm(FlaskForm):
    """Drafts may be incomplete; `confirm_errors()` adds what openIMIS needs before the insuree is created."""

    last_name = StringField(_l("Last name"), validators=[Length(max=INSUREE_MAX_LENGTHS["last_name"])])
    other_names = StringField(_l("Other names"), validators=[Length(max=INSUREE_MAX_LENGTHS["other_names"])])
    dob = DateField(_l("Birth date"), validators=[Optional(), _not_future],
                    render_kw={"autocomplete": "off"})
    gender = SelectField(_l("Gender"), choices=[], default="")
    marital = SelectField(_l("Marital status"), choices=[], default="")
    phone = StringField(_l("Phone"), validators=[Length(max=INSUREE_MAX_LENGTHS["phone"])],
                        render_kw={"type": "tel", "autocomplete": "off"})
    email = StringField(_l("Email"), validators=[Optional(), Length(max=INSUREE_MAX_LENGTHS["email"]),
                                                 Regexp(EMAIL, message=_l("Enter a valid email address."))],
                        render_kw={"type": "email", "autocomplete": "off"})
    type_of_id = SelectField(_l("Identification type"), choices=[], default="")
    passport = StringField(
        _l("Identification number"), validators=[Length(max=INSUREE_MAX_LENGTHS["passport"])],
        description=_l("The national ID verified by MOSIP is stored here, never as the insurance number."))
    profession = SelectField(_l("Profession"), choices=[], default="")
    education = SelectField(_l("Education"), choices=[], default="")
    village = SelectField(_l("Village"), choices=[], default="")
    current_address = TextAreaField(_l("Current address"),
                                    validators=[Length(max=INSUREE_MAX_LENGTHS["current_address"])],
                                    render_kw={"rows": 2})
    family_mode = RadioField(_l("Family"), default="new", choices=[
        ("new", _l("New family, with this insuree as head")), ("join", _l("Join an existing family"))])
    head_chf_id = StringField(_l("Insurance number of the family's head"),
                              validators=[Length(max=INSUREE_MAX_LENGTHS["chf_id"])])
    relationship = SelectField(_l("Relationship to the head"), choices=[], default="")
    chf_id = StringField(_l("Insurance number (CHF ID)"), validators=[Length(max=INSUREE_MAX_LENGTHS["chf_id"])])
    acr = SelectField(_l("Authentication method"), choices=[], validate_choice=False)

    def set_choices(self, lists, acr_choices):
        blank = [("", "—")]
        self.gender.choices = blank + lists.choices("genders")
        self.marital.choices = blank + lists.choices("marital")
        self.type_of_id.choices = blank + lists.choices("identification_types")
        self.profession.choices = blank + lists.choices("professions")
        self.education.choices = blank + lists.choices("educations")
        self.village.choices = blank + lists.choices("villages")
        self.relationship.choices = blank + lists.choices("relations")
        self.acr.choices = acr_choices

    def values(self):
        """The form as the text values Registration.values keeps."""
        out = {}
        for name in ("last_name", "other_names", "gender", "marital", "phone", "email", "type_of_id", "passport",
                     "profession", "education", "village", "current_address", "family_mode", "head_chf_id",
                     "relationship", "chf_id"):
            out[name] = (getattr(self, name).data or "").strip()
        out["dob"] = self.dob.data.isoformat() if self.dob.data else ""
        return out

    def confirm_errors(self, number_rule=None, number_mode="generate"):
        """Add the errors that stop a confirmation; True when there are none."""
        required = [(self.last_name, _l("Enter the last name.")), (self.other_names, _l("Enter the other names.")),
                    (self.dob, _l("Enter the birth date.")), (self.gender, _l("Choose the gender.")),
                    (self.village, _l("Choose the village."))]
        if self.family_mode.data == "join":
            required.append((self.head_chf_id, _l("Enter the insurance number of the family's head.")))
        if number_mode == "enter":
            required.append((self.chf_id, _l("Enter the insurance number.")))
        ok = True
        for field, message in required:
            if not field.data:
                field.errors = list(field.errors) + [message]
                ok = False
        if self.passport.data and not self.type_of_id.data:
            self.type_of_id.errors = list(self.type_of_id.errors) + [_l("Choose the identification type.")]
            ok = False
        if number_mode == "enter" and self.chf_id.data and number_rule is not None:
            problem = number_rule.validate(self.chf_id.data.strip())
            if problem:
                self.chf_id.errors = list(self.chf_id.errors) + [_l("Not a valid insurance number: %(problem)s",
                                                                    problem=problem)]
                ok = False
        return ok
