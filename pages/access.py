"""The access code that guards an app opened to a network (CROSSREC_ACCESS_CODE). Unset: no
gate. Set: every page asks for it first; the code is compared in constant time, and a session
gets a few tries per minute. Nothing else renders without it, so runs, uploads and downloads
are refused too. (The teacher code, which decides who may cancel others' runs, is separate.)"""

from __future__ import annotations

import hmac
import os
import time

import streamlit as st

ACCESS_ENV = "CROSSREC_ACCESS_CODE"
TRIES_PER_MINUTE = 5
GRANTED = "_crossrec_access"


def require_access() -> None:
    """Return when this session may use the app; otherwise draw the code form and stop."""
    code = os.environ.get(ACCESS_ENV, "")
    if not code or st.session_state.get(GRANTED) == _fingerprint(code):
        return
    st.title("CrossRec Studio")
    tries = [t for t in st.session_state.get("_access_tries", []) if time.time() - t < 60]
    with st.form("access"):
        typed = st.text_input("Access code", type="password")
        sent = st.form_submit_button("Enter")
    if sent:
        if len(tries) >= TRIES_PER_MINUTE:
            st.error("Too many tries: wait a minute, then try again.")
        elif hmac.compare_digest(typed.encode(), code.encode()):
            st.session_state[GRANTED] = _fingerprint(code)
            st.rerun()
        else:
            tries.append(time.time())
            st.error("That is not the access code.")
    st.session_state["_access_tries"] = tries
    st.stop()


def _fingerprint(code: str) -> str:
    """What the session keeps: a digest, so a changed code logs everyone out."""
    return hmac.new(b"crossrec-access", code.encode(), "sha256").hexdigest()
