"""The upload form of the Data page: files, preview, column mapping, save under a name."""

import streamlit as st

from crossrec.errors import DataError
from crossrec.data.uploads import preview, save_pair
from pages.state import catalog

ROLES = ["user", "item", "rating", "timestamp", "(ignore)"]


def _mapping(label: str, frame, key: str) -> str | None:
    """Column mapping widgets for one previewed file; None keeps the sniffed columns."""
    if not st.checkbox(f"Map {label} columns by hand", key=f"{key}-map"):
        return None
    raw = st.text_input(f"{label} columns in file order (comma separated, empty = ignore)",
                        value=",".join(frame.columns), key=f"{key}-cols",
                        help="e.g. user,item,,timestamp for a file whose third column is ignored")
    return raw


def _file(label: str, key: str):
    upload = st.file_uploader(label, key=key)
    if upload is None:
        return None, None
    data = upload.getvalue()
    # one preview per uploaded file, not one per rerun (it reads only the file's head)
    previews = st.session_state.setdefault("_upload_previews", {})
    if upload.file_id not in previews:
        try:
            previews[upload.file_id] = preview(upload.name, data)
        except DataError as err:
            previews[upload.file_id] = str(err)
    frame = previews[upload.file_id]
    if isinstance(frame, str):
        st.error(frame)
        return None, None
    st.caption(f"{label} preview ({upload.name})")
    st.dataframe(frame, hide_index=True, width="stretch")
    return (upload.name, data), _mapping(label, frame, key)


def upload_form() -> None:
    st.write("Each domain is a table `user, item[, rating][, timestamp]`: CSV/TSV/space/`::` text "
             "(gzip ok), Parquet, or Amazon review JSON lines. Users with the same id are the same "
             "person, unless you give a link file of `source_user, target_user` rows.")
    left, right = st.columns(2)
    with left:
        source, source_cols = _file("Source domain", "up-source")
    with right:
        target, target_cols = _file("Target domain", "up-target")
    links_upload = st.file_uploader("Link file (optional)", key="up-links")
    links = (links_upload.name, links_upload.getvalue()) if links_upload else None
    name = st.text_input("Name for this pair", placeholder="books-to-music")
    if st.button("Validate and save pair", disabled=not (source and target and name)):
        try:
            manifest = save_pair(name, source, target, links, source_cols, target_cols)
        except DataError as err:
            st.error(str(err))
            return
        catalog.clear()
        st.session_state["pair_ref"] = {"catalog": manifest["name"]}
        st.success(f"Saved pair {manifest['name']}: it is now in the catalog and selected for training.")
