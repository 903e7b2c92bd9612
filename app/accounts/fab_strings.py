"""Flask-AppBuilder's own interface strings that its Chinese catalogue leaves untranslated
(FAB 5.3: the user groups screens, the list's row buttons, some filters and messages).
Marked here so that they are extracted into this app's catalogue and translated there;
Babel merges that catalogue over FAB's (app/translations, BABEL_TRANSLATION_DIRECTORIES).
Nothing imports this module: it exists for `pybabel extract`."""
from ..enums import N_

FAB_STRINGS = (
    N_("List Groups"), N_("Groups"), N_("Show Group"), N_("Add Group"), N_("Edit Group"),
    N_("User(s) exists in the group, cannot delete"), N_("User(s) exists in the role, cannot delete"),
    N_("Either select a role or a group"),
    N_("The user group on the application, this will associate with a list of roles "
       "associated with the group"),
    N_("The user's password for authentication"),
    N_("Edit User Information"), N_("User information changed"),
    N_("Add"), N_("Edit"), N_("Show"), N_("Delete"),
    N_("Are you sure you want to delete this item?"),
    N_("Database Error"), N_("Contains (insensitive)"), N_("In"), N_("Not In"),
)
# FAB's strings whose Chinese reads wrongly here, translated anew in this app's catalogue:
# the search operators, and the password form's hint, which says the application does not
# check passwords (it does: app/accounts/passwords.py).
FAB_RETRANSLATED = (
    N_("Starts with"), N_("Not Starts with"), N_("Ends with"), N_("Not Ends with"),
    N_("Relation"), N_("No Relation"), N_("Relation as Many"),
    N_("Reset Password Form"),
    N_("List Base Permissions"), N_("List View Menus"), N_("List Permissions on Views/Menus"),
    # Translated in FAB's catalogue but marked fuzzy there, so never compiled:
    N_("Not a valid choice"), N_("Start with"),
    N_("It's not a good policy to remove a user, just make it inactive"),
    N_("Please use a good password policy, this application does not check this for you"),
)
