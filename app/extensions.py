"""Flask extensions, created unbound; the factory binds them."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from forms.base import ApiError

# Stable constraint names keep migrations reviewable and portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Objects stay readable after the request's one commit (the answer is built from them), rather
# than each reloading itself with another query.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()


class CreditApi(Api):
    # Refusals carry the refused `field` (DomainError) and marshmallow's `errors`.
    ERROR_SCHEMA = ApiError


api = CreditApi()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
