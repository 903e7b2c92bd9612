#!/usr/bin/env bash
# For maintainers: collect the app's strings into the catalogue after changing the code, then
# translate the new entries in app/translations/zh/LC_MESSAGES/messages.po (tests fail while
# any entry is untranslated or fuzzy). The .mo file is compiled by setup.sh, never committed.
source "$(dirname "$0")/setup.sh"
.venv/bin/pybabel extract --no-location --omit-header --no-wrap -F babel.cfg -k _l -k N_ -k lazy_gettext \
  -o app/translations/messages.pot . >/dev/null
.venv/bin/pybabel update --no-wrap --no-fuzzy-matching -i app/translations/messages.pot -d app/translations
.venv/bin/pybabel compile -d app/translations >/dev/null
