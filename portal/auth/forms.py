from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from portal.auth.models import ROLES
from portal.auth.passwords import MIN_LENGTH

ROLE_LABELS = {
    "officer": _l("Enrollment officer"),
    "social": _l("Social-protection staff"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Administrator"),
}


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=150)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class NewPasswordMixin:
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=256,
                                           message=_l("Use at least %(min)d and at most %(max)d characters."))],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least %(n)s characters.", n=MIN_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)],
                                     render_kw={"autocomplete": "current-password"})


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class NewUserForm(NewPasswordMixin, FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=150),
                    Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Letters, digits, dot, dash and underscore only."))],
    )
    roles = CheckboxesField(_l("Roles"), choices=[(role, ROLE_LABELS[role]) for role in ROLES])

    def validate_roles(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one role."))


class ConfirmForm(FlaskForm):
    """An empty form: a button that POSTs with a CSRF token."""

    confirm = BooleanField(default=True)
