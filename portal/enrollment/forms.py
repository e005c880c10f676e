from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

PAGE_SIZES = (10, 20, 50, 100)


class SearchForm(FlaskForm):
    """The search is a GET form (bookmarkable, works without JavaScript): no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)],
                    description=_l("openSPP matches names exactly as typed: upper and lower case differ."),
                    render_kw={"type": "search", "autocomplete": "off"})
    by = SelectField(_l("Search by"), choices=[("name", _l("Name")), ("id", _l("openSPP id"))], default="name")
    size = SelectField(_l("Rows per page"), choices=[(str(n), str(n)) for n in PAGE_SIZES], default="20")
    sort = SelectField(_l("Sort by"), default="name", choices=[
        ("name", _l("Name (A–Z)")), ("-name", _l("Name (Z–A)")),
        ("-registration_date", _l("Registration date (newest first)")),
        ("registration_date", _l("Registration date (oldest first)")),
    ])


class EnrollForm(FlaskForm):
    product = SelectField(_l("Insurance product"), validators=[DataRequired()],
                          description=_l("From openIMIS's list of products."))
    officer = SelectField(_l("Enrolment officer"), validators=[DataRequired()])
    enroll_date = DateField(_l("Enrolment date"), validators=[DataRequired()], default=date.today)

    def validate_enroll_date(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("The enrolment date cannot be in the future."))


class SupplyForm(FlaskForm):
    """What the officer supplies when openSPP lacks it (openIMIS requires both)."""

    birthdate = DateField(_l("Birthdate"), validators=[Optional()])
    sex = SelectField(_l("Sex"), validators=[Optional()], default="", choices=[
        ("", _l("as in openSPP")), ("M", _l("Male")), ("F", _l("Female")), ("O", _l("Other"))])

    def validate_birthdate(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("The birthdate cannot be in the future."))

    def overrides(self):
        values = {}
        if self.birthdate.data:
            values["birthdate"] = self.birthdate.data.isoformat()
        if self.sex.data:
            values["sex"] = self.sex.data
        return values
