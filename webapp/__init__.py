"""Mail domains through dimail: the Flask application factory."""

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import config as settings
from webapp import i18n
from webapp.extensions import csrf, db, login_manager, migrate, tune_sqlite
from webapp.jobs import context as job_context

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application. `config` overrides what the environment says (tests use it)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.DEFAULTS)
    app.config.update(settings.from_environment(Path(app.instance_path)))
    app.config.update(config or {})
    settings.finalise(app.config)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    i18n.init_app(app)
    _init_login(app)

    from webapp import access_log, cli, errors, htmx, routing, security, static_files, templating
    from webapp.jobs import waiting

    routing.init_app(app)
    access_log.init_app(app)

    waiting.connect()

    errors.init_app(app)
    htmx.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    # Last: WhiteNoise wraps the whole application, answering /static/ before Flask does.
    static_files.init_app(app)

    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from webapp.accesses.views import bp as accesses_bp
    from webapp.account.views import bp as account_bp
    from webapp.aliases.views import bp as aliases_bp
    from webapp.audit_log.views import bp as audit_log_bp
    from webapp.auth.views import bp as auth_bp
    from webapp.domains.views import bp as domains_bp
    from webapp.exports.views import bp as exports_bp
    from webapp.imports.views import bp as imports_bp
    from webapp.mailboxes.views import bp as mailboxes_bp
    from webapp.main import bp as main_bp
    from webapp.oidc import client as oidc_client
    from webapp.oidc.views import bp as oidc_bp
    from webapp.two_factor import guard as two_factor_guard
    from webapp.two_factor.views import bp as two_factor_bp
    from webapp.users.views import bp as users_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    oidc_client.init_app(app)
    app.register_blueprint(oidc_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(two_factor_bp)
    two_factor_guard.init_app(app)
    app.register_blueprint(domains_bp)
    if app.config["APP_ENV"] == "development" or app.config.get("DEV_OUTBOX"):
        from webapp.dev_outbox import bp as dev_outbox_bp

        app.register_blueprint(dev_outbox_bp)
    app.register_blueprint(mailboxes_bp)
    app.register_blueprint(accesses_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(aliases_bp)
    app.register_blueprint(audit_log_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(exports_bp)


def _init_login(app: Flask) -> None:
    from webapp.errors import handle_unauthorized
    from webapp.services import sessions

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"  # what to say on the way: errors.handle_unauthorized
    # A change of address or browser marks the session as not fresh (nothing more).
    login_manager.session_protection = "basic"
    # The session cookie carries the token of a session record kept on the server, not the
    # account's id: a request is logged in only while that record is live.
    login_manager.id_attribute = "get_session_token"
    login_manager.user_loader(sessions.load_user)
    login_manager.unauthorized_handler(handle_unauthorized)
    sessions.init_app(app)


# A plain `rq worker` imports a job module, hence this package first: jobs find the factory.
job_context.use_app_factory(create_app)
