"""Yearly-cycle files: read, check and write a forum's cycle of monthly themes.

The format (YAML, JSON and CSV), its rules and limits are described for organisers in
``docs/cycle-file.md``. The modules here:

* :mod:`~bot.cycle_file.limits`: every limit and fixed rule (lengths, counts, keys, months);
* :mod:`~bot.cycle_file.problems`: :class:`Problem`, :class:`CycleFileError` and the collector;
* :mod:`~bot.cycle_file.rules`: the checks every form and the chat edit forms share;
* :mod:`~bot.cycle_file.yaml_form`, :mod:`~bot.cycle_file.json_form`,
  :mod:`~bot.cycle_file.csv_form`: reading each form, with the line of every problem;
* :mod:`~bot.cycle_file.writing`: writing each form;
* :mod:`~bot.cycle_file.loading`: reading by file name, and the shipped default cycle.

The names the rest of the code uses are re-exported below (``name as name`` marks a re-export).
"""

from __future__ import annotations

from bot.cycle_file.csv_form import load_cycle_csv as load_cycle_csv
from bot.cycle_file.json_form import load_cycle_json as load_cycle_json
from bot.cycle_file.limits import CSV_COLUMNS as CSV_COLUMNS
from bot.cycle_file.limits import CSV_REQUIRED_COLUMNS as CSV_REQUIRED_COLUMNS
from bot.cycle_file.limits import DELIVERY_MAX as DELIVERY_MAX
from bot.cycle_file.limits import FORMAT_VERSION as FORMAT_VERSION
from bot.cycle_file.limits import LANGUAGE_KEYS as LANGUAGE_KEYS
from bot.cycle_file.limits import LINK_KEYS as LINK_KEYS
from bot.cycle_file.limits import LINK_TITLE_MAX as LINK_TITLE_MAX
from bot.cycle_file.limits import MAX_FILE_CHARS as MAX_FILE_CHARS
from bot.cycle_file.limits import MAX_LINKS as MAX_LINKS
from bot.cycle_file.limits import MAX_PROBLEMS as MAX_PROBLEMS
from bot.cycle_file.limits import MAX_QUESTIONS as MAX_QUESTIONS
from bot.cycle_file.limits import MIN_QUESTIONS as MIN_QUESTIONS
from bot.cycle_file.limits import MONTHS_EN as MONTHS_EN
from bot.cycle_file.limits import MONTHS_SV as MONTHS_SV
from bot.cycle_file.limits import NAME_MAX as NAME_MAX
from bot.cycle_file.limits import QUESTION_MAX as QUESTION_MAX
from bot.cycle_file.limits import THEME_KEYS as THEME_KEYS
from bot.cycle_file.limits import TITLE_MAX as TITLE_MAX
from bot.cycle_file.limits import TOP_KEYS as TOP_KEYS
from bot.cycle_file.limits import URL_MAX as URL_MAX
from bot.cycle_file.limits import WHY_NOW_MAX as WHY_NOW_MAX
from bot.cycle_file.loading import DEFAULT_CYCLE_FILE as DEFAULT_CYCLE_FILE
from bot.cycle_file.loading import default_cycle_path as default_cycle_path
from bot.cycle_file.loading import load_cycle as load_cycle
from bot.cycle_file.loading import load_default_cycle as load_default_cycle
from bot.cycle_file.problems import MESSAGE_KEYS as MESSAGE_KEYS
from bot.cycle_file.problems import CycleFileError as CycleFileError
from bot.cycle_file.problems import Problem as Problem
from bot.cycle_file.rules import validate_theme as validate_theme
from bot.cycle_file.writing import dump_cycle_csv as dump_cycle_csv
from bot.cycle_file.writing import dump_cycle_json as dump_cycle_json
from bot.cycle_file.writing import dump_cycle_yaml as dump_cycle_yaml
from bot.cycle_file.yaml_form import load_cycle_yaml as load_cycle_yaml
