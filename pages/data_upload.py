"""The upload form of the Data page: files, preview, column mapping, save under a name."""

import streamlit as st

from crossrec.errors import DataError, SettingError
from crossrec.data.uploads import preview, save_pair, upload_rating_profile
from crossrec.viz.data import rating_figure
from pages.state import catalog
from pages.widgets import chart


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
    columns = _mapping(label, frame, key)
    return (upload.name, data, upload.file_id, columns), columns


def _profile(upload):
    """The rating profile of a whole uploaded file, once per file and column mapping (None
    without a rating column, or when the file cannot be read: saving says why)."""
    name, data, file_id, columns = upload
    profiles = st.session_state.setdefault("_upload_rating_profiles", {})
    key = (file_id, columns)
    if key not in profiles:
        try:
            profiles[key] = upload_rating_profile(name, data, columns)
        except DataError:
            profiles[key] = None
    return profiles[key]


def _liked_threshold(source, target) -> float | None:
    """The "count as liked" control, shown only when both files carry ratings: each domain's
    rating histogram with the threshold drawn, and what it keeps."""
    profiles = {"source": _profile(source), "target": _profile(target)}
    if any(p is None for p in profiles.values()):
        return None
    values = sorted({float(v) for p in profiles.values() for v in p.ratings.index})
    threshold = st.number_input("Count as liked: rating at least", value=None, min_value=values[0],
                                max_value=values[-1], placeholder="every rating counts", key="up-min-rating",
                                help="Rows rated below it are dropped before users, items, links and "
                                     "splits are built (RecBole's threshold). Empty: every rating counts.")
    for col, (domain, profile) in zip(st.columns(2), profiles.items()):
        chart(rating_figure(profile.ratings, threshold, domain), key=f"ratings-{domain}", where=col)
        total = profile.total()
        kept = profile.kept(threshold) if threshold is not None else total
        col.caption(f"Keeps {kept['rows']:,} of {total['rows']:,} rows, {kept['users']:,} of "
                    f"{total['users']:,} users, {kept['items']:,} of {total['items']:,} items")
    return threshold


def upload_form() -> None:
    st.write("Each domain is a table `user, item[, rating][, timestamp]`: CSV/TSV/space/`::` text "
             "(gzip ok), Parquet, or Amazon review JSON lines. Users with the same id are the same "
             "person, unless you give a link file of `source_user, target_user` rows.")
    left, right = st.columns(2)
    with left:
        source, source_cols = _file("Source domain", "up-source")
    with right:
        target, target_cols = _file("Target domain", "up-target")
    min_rating = _liked_threshold(source, target) if source and target else None
    links_upload = st.file_uploader("Link file (optional)", key="up-links")
    links = (links_upload.name, links_upload.getvalue()) if links_upload else None
    name = st.text_input("Name for this pair", placeholder="books-to-music")
    if st.button("Validate and save pair", disabled=not (source and target and name)):
        try:
            manifest = save_pair(name, source[:2], target[:2], links, source_cols, target_cols,
                                 min_rating=min_rating)
        except (DataError, SettingError) as err:
            st.error(str(err))
            return
        catalog.clear()
        st.session_state["pair_ref"] = {"catalog": manifest["name"]}
        st.success(f"Saved pair {manifest['name']}: it is now in the catalog and selected for training.")
