"""Compare: experiments (runs of one setting), mean ± std and 95% CI over seeds, paired tests
against each user group's baseline, charts, CSV and the HTML report."""

import streamlit as st

from crossrec.analysis.compare import comparison_table, compare
from crossrec.methods.catalog import setting_defaults
from crossrec.viz.compare import metric_bars
from crossrec.runs.artifacts import ArtifactStore
from crossrec.runs.report import installed_chromium, print_to_pdf, report_html
from crossrec.runs.open_store import open_store
from pages.state import artifacts, method_cards, store
from pages.widgets import chart, empty_state, page_setup

page_setup()
st.title("Compare")
runs = store().list_runs(statuses=("done",))
if not runs:
    empty_state("No finished runs yet: train a few methods on the same pair, then compare them here.",
                "pages/train.py", "Go to Train")
    st.stop()

a, b, c, d = st.columns([2, 2, 1, 1])
pairs = sorted({r["pair_name"].split(" (split")[0] for r in runs})
pick_pairs = a.multiselect("Pairs", pairs, default=pairs[:1])
in_pairs = [r for r in runs if r["pair_name"].split(" (split")[0] in pick_pairs]
methods = sorted({r["method"] for r in in_pairs})
pick_methods = b.multiselect("Methods", methods, default=methods)
k = c.selectbox("K", [5, 10, 20], index=1)
baseline = d.selectbox("Baseline", ["auto"] + methods,
                       help="auto: popularity for cold users; for warm users the better of popularity "
                            "and target_only on validation data")
selected = [r for r in in_pairs if r["method"] in pick_methods]
if not selected:
    st.info("Pick at least one pair and one method.")
    st.stop()

result = compare(selected, setting_defaults(method_cards()), artifacts().per_user, k,
                 None if baseline == "auto" else baseline)
if any(r["eval"] != "full" for r in selected):
    st.warning("Some runs used sampled evaluation: sampled metrics can reorder methods compared with "
               "full ranking (Krichene & Rendle, KDD 2020). Compare like with like.")
table = comparison_table(result, k)
st.dataframe(table, hide_index=True, width="stretch")
st.caption("Each row is one experiment: runs with the same pair, method, settings and evaluation; only "
           "seeds vary (training and split seeds are listed). Cells: mean ± sample std [95% CI] over "
           "the runs; n=1 has no spread. The change is against each user group's baseline; the p-value "
           "is a paired Wilcoxon test over the same test users, Holm-corrected across the rows.")
left, right = st.columns(2)
chart(metric_bars(result, f"ndcg@{k}"), where=left)
chart(metric_bars(result, f"hr@{k}"), where=right)

st.page_link("pages/explain.py", label="Explain a user: what these runs recommend one test user",
             icon=":material/person_search:")
d1, d2 = st.columns(2)
d1.download_button("Download CSV", table.to_csv(index=False).encode(), "crossrec-results.csv", "text/csv")
home = store().home
# built when clicked (on Streamlit's download thread): one click, no build step
build = lambda: report_html(open_store(home), ArtifactStore(home / "artifacts"), selected, result, k)  # noqa: E731
d2.download_button("Download report (HTML, print-ready)", file_name="crossrec-report.html", mime="text/html", data=build,
                   help="One self-contained file (opens offline). To get a PDF, open it and print to PDF: "
                        "each section starts a new page.")
if installed_chromium():  # printed by the machine's own Chromium; otherwise print the HTML yourself
    d2.download_button("Download report (PDF)", file_name="crossrec-report.pdf", mime="application/pdf",
                       data=lambda: print_to_pdf(build()))
