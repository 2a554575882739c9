"""The benchmark tab of the Data page: public pairs pinned by commit and SHA-256, fetched on demand."""

import pandas as pd
import streamlit as st

from crossrec.data.benchmarks import benchmarks
from crossrec.data.fetch import fetch, is_fetched
from crossrec.errors import DataError
from pages.state import catalog


def benchmark_form() -> None:
    rows = [{"name": b.name, "size (MB)": round(b.size() / 1e6, 1),
             "status": "downloaded" if is_fetched(b.name) else "not downloaded",
             "description": b.description} for b in benchmarks().values()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    missing = [r["name"] for r in rows if r["status"] == "not downloaded"]
    if not missing:
        st.success("Every benchmark pair is downloaded; pick one in the first tab.")
        return
    name = st.selectbox("Benchmark to download", missing, key="benchmark-name")
    if st.button("Download", key="benchmark-download"):
        bar = st.progress(0.0, text=f"Downloading {name}…")
        try:
            fetch(name, lambda done, total: bar.progress(done / total, text=f"{name}: {done / 1e6:.1f} of "
                                                                             f"{total / 1e6:.1f} MB"))
        except DataError as err:
            st.error(str(err))
            return
        catalog.clear()
        st.success(f"{name} is ready: pick it in the first tab.")
