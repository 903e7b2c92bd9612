"""qualification types and specialties (domain.md section 1) as data

Revision ID: 0002_qualification_data
Revises: 89c4ae972c6d
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_qualification_data"
down_revision = "89c4ae972c6d"
branch_labels = None
depends_on = None

# code, name, validity years, per specialty, initial window years, age cap, number pattern
QUALIFICATIONS = [
    ("constructor", "二级注册建造师", 3, True, 3, 65,
     "粤2{province}{qualified}{registered}{serial:05d}"),
    ("structural", "二级注册结构工程师", 3, False, 3, 65,
     "粤S2{province}{registered}{serial:05d}"),
    ("cost", "二级造价工程师", 4, False, 1, None,
     "粤C2{province}{registered}{serial:05d}"),
    ("architect", "二级注册建筑师", 2, False, 3, None,
     "粤A2{province}{registered}{serial:05d}"),
]
SPECIALTIES = {
    "constructor": [("building", "建筑工程"), ("highway", "公路工程"),
                    ("water", "水利水电工程"), ("municipal", "市政公用工程"),
                    ("mining", "矿业工程"), ("electromechanical", "机电工程")],
    "cost": [("civil", "土木建筑工程"), ("installation", "安装工程")],
}

qualification = sa.table(
    "qualification_type",
    sa.column("id", sa.Integer), sa.column("code", sa.String), sa.column("name", sa.String),
    sa.column("validity_years", sa.Integer), sa.column("validity_per_specialty", sa.Boolean),
    sa.column("initial_window_years", sa.Integer), sa.column("age_cap", sa.Integer),
    sa.column("number_pattern", sa.String),
)
specialty = sa.table(
    "specialty",
    sa.column("qualification_id", sa.Integer), sa.column("code", sa.String),
    sa.column("name", sa.String),
)


def upgrade():
    op.bulk_insert(qualification, [
        dict(id=i, code=c, name=n, validity_years=v, validity_per_specialty=p,
             initial_window_years=w, age_cap=a, number_pattern=pat)
        for i, (c, n, v, p, w, a, pat) in enumerate(QUALIFICATIONS, start=1)
    ])
    ids = {c: i for i, (c, *_rest) in enumerate(QUALIFICATIONS, start=1)}
    op.bulk_insert(specialty, [
        dict(qualification_id=ids[q], code=code, name=name)
        for q, rows in SPECIALTIES.items() for code, name in rows
    ])
    # Explicit ids above leave PostgreSQL's sequence behind; move it past them.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('qualification_type', 'id'), "
                   "(SELECT MAX(id) FROM qualification_type))")


def downgrade():
    op.execute(specialty.delete())
    op.execute(qualification.delete())
