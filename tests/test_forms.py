"""What every form shares (webapp.forms)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms.widgets.core import html_params as wtforms_html_params

from webapp.forms import html_params
from webapp.mailboxes.forms import MailboxForm


def test_fields_drop_nul_characters(app):
    with app.test_request_context(method="POST", data={"first_name": "Ja\x00ne"}):
        assert MailboxForm(meta={"csrf": False}).first_name.data == "Jane"


def test_building_forms_leaves_the_form_class_unchanged(app):
    # Each form used to add one more filter to the fields it shares with every other instance:
    # pages grew slower with every request served.
    with app.test_request_context():
        first = MailboxForm(formdata=None)
        for _ in range(5):
            MailboxForm(formdata=None)
        again = MailboxForm(formdata=None)
    assert len(again.first_name.filters) == len(first.first_name.filters) == 1


# Generation speed depends on the machine's load (CI runs the suite beside other work).
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["class_", "id", "name", "value", "data_x_y", "aria_label", "hx-get",
                         "placeholder", "required", "disabled", "for", "maxlength"]),
        st.one_of(st.booleans(), st.text(), st.integers(), st.just(Markup("<b>&amp;</b>"))),
    )
)  # fmt: skip
def test_html_params_renders_as_wtforms_does(attributes):
    assert html_params(**attributes) == wtforms_html_params(**attributes)
