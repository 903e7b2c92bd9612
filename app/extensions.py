"""Extension objects. SQLA and Migrate are unbound singletons that init_app() binds to each
app; AppBuilder keeps per-app state (views, menu, security manager), so create_app() builds
a fresh one for every app and views reach it through current_app.appbuilder."""
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate

db = SQLA()
migrate = Migrate()
