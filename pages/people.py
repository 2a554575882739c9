"""Who is using this browser session: the name box (kept in the page's URL, so a reload keeps
it), "mine / everyone" filters, and who may cancel a run (its owner, or a session that entered
the teacher code, CROSSREC_TEACHER_CODE; unset, everyone may). No name typed: the server's login
name, the same default as the command line, so one person on a laptop notices nothing."""

from __future__ import annotations

import hmac
import os

import streamlit as st

from crossrec.errors import SettingError
from crossrec.runs.owners import check_owner, default_owner

TEACHER_ENV = "CROSSREC_TEACHER_CODE"


NAMED = "_crossrec_owner"  # the session's name, also kept when a page switch drops the URL's query


def _named() -> str:
    """The name this session gave itself ('' for none): the URL's, else the one it had."""
    name = st.query_params.get("name", "") or st.session_state.get(NAMED, "")
    try:
        name = check_owner(name) if name else ""
    except SettingError:
        return st.session_state.get(NAMED, "")
    st.session_state[NAMED] = name
    return name


def session_owner() -> str:
    return _named() or default_owner()


def name_box() -> None:
    """The sidebar's name box; the name goes into the URL's query (`?name=...`), and back into
    it after a page switch has dropped it."""
    named = _named()
    if named and st.query_params.get("name") != named:
        st.query_params["name"] = named
    if "owner_name" not in st.session_state:
        st.session_state["owner_name"] = named  # e.g. from the address of a reloaded page
    typed = st.sidebar.text_input("Your name", key="owner_name", placeholder=default_owner(),
                                  help="Your runs and sweeps carry it; the page's address keeps it.")
    if typed.strip() and typed != named:
        try:
            st.query_params["name"] = st.session_state[NAMED] = check_owner(typed)
        except SettingError as err:
            st.sidebar.error(str(err))
    elif not typed.strip() and named:
        st.session_state[NAMED] = ""
        del st.query_params["name"]
    if os.environ.get(TEACHER_ENV) and not is_teacher():
        with st.sidebar.expander("Teacher"):
            code = st.text_input("Teacher code", type="password", key="teacher_code_typed")
            if code and hmac.compare_digest(code.encode(), os.environ[TEACHER_ENV].encode()):
                st.session_state["_teacher"] = True
                st.rerun()


def is_teacher() -> bool:
    return not os.environ.get(TEACHER_ENV) or bool(st.session_state.get("_teacher"))


def may_cancel(run: dict) -> bool:
    """Only a run's owner cancels it, unless this session is the teacher's."""
    return is_teacher() or (run.get("owner") or "") == session_owner()


def mine_or_everyone(runs: list[dict], key: str, where=None) -> list[dict]:
    """A "Show: everyone / mine" choice over runs (everyone by default)."""
    shown = (where or st).radio("Show", ["everyone", "mine"], horizontal=True, key=f"scope-{key}")
    me = session_owner()
    return [r for r in runs if (r.get("owner") or "") == me] if shown == "mine" else runs
