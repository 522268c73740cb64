from webapp.extensions import db
from webapp.models import User
from webapp.services.accounts import find_user_by_email


def test_create_user(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "Ann@Example.org", "--password", "a-long-password"]
    )
    assert result.exit_code == 0, result.output
    user = find_user_by_email("ann@example.org")
    assert user is not None and not user.is_superuser
    assert user.check_password("a-long-password")
    assert "a-long-password" not in result.output


def test_create_superuser(app):
    runner = app.test_cli_runner()
    args = ["create-user", "--email", "root@example.org", "--password", "a-long-password"]
    result = runner.invoke(args=[*args, "--superuser"])
    assert result.exit_code == 0
    assert find_user_by_email("root@example.org").is_superuser


def test_create_user_refuses_duplicates_and_short_passwords(app):
    runner = app.test_cli_runner()
    args = ["create-user", "--email", "ann@example.org", "--password", "a-long-password"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["create-user", "--email", "b@example.org", "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_seed_demo_creates_then_resets_the_demo_superuser(app, monkeypatch):
    monkeypatch.setenv("DEMO_EMAIL", "demo@example.org")
    monkeypatch.setenv("DEMO_PASSWORD", "first-password")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "demo@example.org / first-password" in result.output
    monkeypatch.setenv("DEMO_PASSWORD", "second-password")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    user = find_user_by_email("demo@example.org")
    db.session.refresh(user)
    assert user.is_superuser and user.check_password("second-password")
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1
