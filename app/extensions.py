"""Extension objects. SQLA and Migrate are unbound singletons that init_app() binds to each
app; AppBuilder keeps per-app state (views, menu, security manager), so create_app() builds
a fresh one for every app and views reach it through current_app.appbuilder."""
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

db = SQLA()
migrate = Migrate()
# FAB's forms carry a CSRF token, but its POST-only routes (delete, actions) are protected
# only when CSRFProtect is installed; it also makes FAB refuse state changes by GET.
csrf = CSRFProtect()
