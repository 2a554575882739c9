"""Compare: experiments (runs of one setting), their effect against each user group's baseline
in words and numbers, every metric on demand, charts, exports and the print-ready report."""

import streamlit as st

from crossrec.analysis.compare_tables import comparison_table, export, headline_table, leaderboard
from crossrec.viz.compare import metric_bars
from crossrec.runs.artifacts import ArtifactStore
from crossrec.runs.report import installed_chromium, print_to_pdf, report_html
from crossrec.runs.open_store import open_store
from pages.annotations import annotations_editor, tag_filter
from pages.people import mine_or_everyone
from pages.state import comparison, store
from pages.widgets import chart, empty_state, page_setup

page_setup()
st.title("Compare")
runs = store().list_runs(statuses=("done",))
if not runs:
    empty_state("No finished runs yet: train a few methods on the same pair, then compare them here.",
                "pages/train.py", "Go to Train")
    st.stop()

s1, s2, s3 = st.columns([2, 3, 1])
runs = mine_or_everyone(runs, "compare", s1)
runs = tag_filter(runs, "compare", s2)
by_owner = s3.toggle("Leaderboard", help="one row per person: their best experiment on cold users")
if not runs:
    st.info("No finished run matches these filters.")
    st.stop()
a, b, c, d = st.columns([2, 2, 1, 2])
pairs = sorted({r["pair_name"].split(" (split")[0] for r in runs})
pick_pairs = a.multiselect("Pairs", pairs, default=pairs[:1])
in_pairs = [r for r in runs if r["pair_name"].split(" (split")[0] in pick_pairs]
methods = sorted({r["method"] for r in in_pairs})
pick_methods = b.multiselect("Methods", methods, default=methods)
k = c.selectbox("K", [5, 10, 20], index=1)
selected = [r for r in in_pairs if r["method"] in pick_methods]
if not selected:
    st.info("Pick at least one pair and one method.")
    st.stop()
ids = tuple(r["id"] for r in selected)
auto = comparison(ids, k, None)
choices = {"auto": None} | {f"{g['method']} · {g['pair']} (n={g['n']})": g["run_ids"][0] for g in auto["groups"]}
pinned = d.selectbox("Baseline", list(choices),
                     help="auto: popularity for cold users; for warm users the better of popularity and "
                          "target_only on validation data; of several such experiments, the one with most "
                          "runs, then the earliest. Pick an experiment to pin it for both user groups.")
result = auto if choices[pinned] is None else comparison(ids, k, choices[pinned])

if any(r["eval"] != "full" for r in selected):
    st.warning("Some runs used sampled evaluation: sampled metrics can reorder methods compared with "
               "full ranking (Krichene & Rendle, KDD 2020). Compare like with like.")
for note in result["notes"]:
    st.warning(note)
if by_owner:
    st.subheader("Leaderboard")
    st.dataframe(leaderboard(selected, result, k), hide_index=True, width="stretch")
    st.caption("Each person's best experiment by cold users' NDCG@10 (mean over its runs); the owner is a view, "
               "never part of an experiment's identity, so the experiments are the ones below.")
for group in result["groups"]:
    st.markdown(f"- {group['headline']}")
st.table(headline_table(result, k, short=True).set_index("method"))
st.caption(f"Each row is one experiment: distinct runs with the same pair, method, settings and evaluation "
           f"(only seeds vary). NDCG@{k}: mean [95% CI] over the runs; one run has no spread. Against the "
           f"baseline: ratio of the means and their difference [paired bootstrap 95% CI over test users]. "
           f"Verdicts: {result['test']}.")
with st.expander("All metrics, seeds and tests"):
    st.dataframe(comparison_table(result, k), hide_index=True, width="stretch")
with st.expander("Tags, notes and stars"):
    annotations_editor(selected, "compare")
left, right = st.columns(2)
chart(metric_bars(result, f"ndcg@{k}"), where=left)
chart(metric_bars(result, f"hr@{k}"), where=right)

st.page_link("pages/explain.py", label="Explain a user: what these runs recommend one test user",
             icon=":material/person_search:")
e1, e2, e3, e4 = st.columns(4)
e1.download_button("Download CSV", export(result, k, "csv").encode(), "crossrec-results.csv", "text/csv")
e2.download_button("Download Markdown", export(result, k, "markdown").encode(), "crossrec-results.md", "text/markdown")
e3.download_button("Download LaTeX (booktabs)", export(result, k, "latex").encode(), "crossrec-results.tex",
                   "text/x-tex")
home = store().home
# built when clicked (on Streamlit's download thread): one click, no build step
build = lambda: report_html(open_store(home), ArtifactStore(home / "artifacts"), selected, result, k)  # noqa: E731
e4.download_button("Download report (HTML, print-ready)", file_name="crossrec-report.html", mime="text/html", data=build,
                   help="One self-contained file (opens offline) whose first page is the summary. To get a "
                        "PDF, open it and print to PDF: each section starts a new page.")
if installed_chromium():  # printed by the machine's own Chromium; otherwise print the HTML yourself
    e4.download_button("Download report (PDF)", file_name="crossrec-report.pdf", mime="application/pdf",
                       data=lambda: print_to_pdf(build()))
