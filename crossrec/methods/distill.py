"""Knowledge distillation from a cross-domain teacher into a small target-only student."""

from __future__ import annotations

from dataclasses import dataclass

import functools

import torch
from torch import nn

from crossrec.losses.distill import RankingDistillationLoss, SoftLabelDistillationLoss
from crossrec.losses.ranking import bpr_loss
from crossrec.methods.base import Method, sgd_and_adam, to_numpy
from crossrec.methods.cmf import CMF
from crossrec.methods.emcdr import EMCDR
from crossrec.methods.plan import Phase
from crossrec.methods.settings import CommonSettings, setting
from crossrec.models.mf import MF
from crossrec.tensors.sampling import sample_negatives, user_batches

TEACHER_PREFIX = "teacher:"
TEACHERS = {"cmf": CMF, "emcdr": EMCDR}  # the `teacher` setting's choices


@dataclass
class DistillSettings(CommonSettings):
    teacher: str = setting("cmf", "the cross-domain teacher", choices=["cmf", "emcdr"])
    student_dim: int = setting(32, "embedding dimension of the student", 2, 1024)
    temperature: float = setting(2.0, "softmax temperature of the soft labels", 0.05, 100.0)
    soft_weight: float = setting(1.0, "weight of the soft-label (KL) loss", 0.0, 1000.0)
    rank_weight: float = setting(1.0, "weight of the ranking-distillation loss", 0.0, 1000.0)
    top_k: int = setting(10, "teacher's top items used as extra positives", 1, 200)
    distill_users: int = setting(256, "users per step whose teacher ranking is distilled", 8, 100_000)
    soft_candidates: int = setting(100, "items per user whose teacher scores are distilled: the teacher's top "
                                        "items plus as many random ones, cached once (0: every target item, "
                                        "scored by the teacher at each step)", 0, 10_000)
    student_lr: float = setting(0.005, "Adam learning rate of the student", 1e-6, 1.0)
    epochs: int = setting(100, "maximum epochs of the student", 1, 10_000)
    # 0: the teacher method's own default cap (cmf: 500, chosen on validation). At the common 100
    # epochs the cmf teacher's validation NDCG@10 was still rising at its last epoch on CDRIB.
    teacher_epochs: int = setting(0, "maximum epochs of each teacher phase (0: the teacher's own default)",
                                  0, 10_000)


class Distill(Method):
    """A teacher trained on both domains (CMF or EMCDR) teaches a smaller student that only has
    target-item parameters. Each student epoch visits every user the teacher knows (cold users
    included): BPR on one of the user's target items when there are any, plus the teacher's
    scores as soft labels and its top-K as ranked positives.

    The soft labels cover a candidate set per user (`soft_candidates` = M): when the student
    phase starts, the frozen teacher scores every known user once and keeps their top-M items and
    M items drawn at random (a random item may repeat a top one, rarely), with the teacher's
    scores; the KL is then taken over those 2M items (the teacher's and the student's softmax
    both restricted to them), a sampled version of the full-catalogue KL, which
    `soft_candidates=0` still computes (the teacher then scores all items at every step).

    Hinton, Vinyals & Dean. Distilling the Knowledge in a Neural Network. 2015 (soft labels);
    Tang & Wang. Ranking Distillation. KDD 2018 (the teacher's top-K as weighted positives).
    """

    name = "distill"
    family = "knowledge distillation"
    summary = ("A cross-domain teacher (CMF or EMCDR) scores all target items; a small target-only\n"
               "student imitates those scores and rankings, so it serves cold users cheaply.")
    paper = "Hinton et al. Distilling the Knowledge in a Neural Network. 2015; Tang & Wang. Ranking Distillation. KDD 2018"
    loss_latex = (r"\mathcal{L}_{student} = \mathcal{L}_{BPR}^T + \alpha\,T^2\,\mathrm{KL}\big("
                  r"\sigma(s^{teacher}_u/T)\,\|\,\sigma(s^{student}_u/T)\big) - \gamma\sum_{r=1}^{K} w_r"
                  r"\ln \sigma\big(s^{student}_{u,\pi_r}\big)")
    Settings = DistillSettings
    phases = ("teacher:joint", "student")  # the phase names of its default plan (the card)

    @functools.cached_property
    def teacher(self) -> Method:
        """The cross-domain teacher, with this method's common settings but its own epoch cap
        (or `teacher_epochs`), made on first use."""
        common = {k: getattr(self.settings, k) for k in CommonSettings.__dataclass_fields__ if k != "epochs"}
        if self.settings.teacher_epochs:
            common["epochs"] = self.settings.teacher_epochs
        return TEACHERS[self.settings.teacher](common)

    def build(self, data, generator):
        self.teacher.setup(data, generator)
        self.soft_ = SoftLabelDistillationLoss(self.settings.temperature)
        self.rank_ = RankingDistillationLoss()
        self.known_users_ = torch.nonzero((data.source.counts > 0) | data.has_target).flatten()
        return nn.ModuleDict({"teacher": self.teacher.model_,
                              "student": MF(data.n_users, data.n_target_items, self.settings.student_dim)})

    def plan(self):
        """The teacher's plan (phases renamed, validated on the teacher's scores), then the student."""
        s = self.settings
        teacher = [p.but(name=TEACHER_PREFIX + p.name, aligns=False, scorer=p.scorer or self.teacher.score)
                   for p in self.teacher.plan()]
        student = Phase("student", batches=lambda g: user_batches(self.known_users_, s.distill_users, g),
                        step=self._student_step, optimizers=self._student_optimizers, epochs=s.epochs,
                        on_start=self._cache_teacher if s.soft_candidates else None)
        return teacher + [student]

    def _one_target_item_each(self, users):
        """(rows of `users` with target rows, one random target item of each, a sampled negative)."""
        d = self.data_
        rows = torch.nonzero(d.has_target[users]).flatten()
        pos = d.target.padded(users[rows], 1).squeeze(1)
        return rows, pos, sample_negatives(users[rows], d.n_target_items, d.target, None)

    @torch.no_grad()
    def _cache_teacher(self, chunk: int = 1024):
        """Per known user: the teacher's top-M items (best first) then M random items, and the
        teacher's scores of them: [n_known, 2M] each, found by a user's row in `cache_row_`."""
        d, m = self.data_, min(self.settings.soft_candidates, self.data_.n_target_items)
        ids, scores = [], []
        for start in range(0, self.known_users_.numel(), chunk):
            full = self.teacher.score(self.known_users_[start:start + chunk]).float()
            top = full.topk(m, dim=1)
            drawn = torch.randint(d.n_target_items, (full.shape[0], m), device=d.device)  # the seeded global RNG
            ids.append(torch.cat([top.indices, drawn], dim=1))
            scores.append(torch.cat([top.values, full.gather(1, drawn)], dim=1))
        self.cache_ids_, self.cache_scores_ = torch.cat(ids), torch.cat(scores)
        self.cache_row_ = torch.full((d.n_users,), -1, dtype=torch.long, device=d.device)
        self.cache_row_[self.known_users_] = torch.arange(self.known_users_.numel(), device=d.device)

    def _distill_targets(self, users):
        """(candidate items [B, C], teacher scores [B, C], positions of the teacher's top-K in C)."""
        k = self.settings.top_k
        if self.settings.soft_candidates:
            rows = self.cache_row_[users]
            candidates = self.cache_ids_[rows]
            top = torch.arange(min(k, self.settings.soft_candidates), device=users.device).expand(len(users), -1)
            return candidates, self.cache_scores_[rows], top
        with torch.no_grad():
            teacher_scores = self.teacher.score(users)
        return None, teacher_scores, teacher_scores.topk(min(k, teacher_scores.shape[1]), dim=1).indices

    def _student_step(self, users):
        """BPR on one target item of each user that has any, plus the soft labels and the
        teacher's top-K over the user's candidates (all items when none are cached)."""
        s, student = self.settings, self.model_["student"]
        rows, pos, neg = self._one_target_item_each(users)
        candidates, teacher_scores, top = self._distill_targets(users)
        # one lookup per table and step: each lookup's backward writes a table-sized dense gradient
        vectors = student.users(users)
        looked_up = [pos, neg] + ([candidates.flatten()] if candidates is not None else [])
        items = student.items(torch.cat(looked_up)).split([t.numel() for t in looked_up])
        rec = (bpr_loss((vectors[rows] * items[0]).sum(-1), (vectors[rows] * items[1]).sum(-1)) / rows.numel()
               if rows.numel() else vectors.new_zeros(()))
        student_scores = (student.score_all(vectors) if candidates is None else
                          (vectors.unsqueeze(1) * items[2].view(*candidates.shape, -1)).sum(-1))
        soft = self.soft_(student_scores, teacher_scores)
        rank = self.rank_(student_scores, top)
        loss = rec + s.soft_weight * soft + s.rank_weight * rank
        return {"loss": loss, "rec": rec, "soft_kl": soft, "rank_distill": rank}

    def _student_optimizers(self):
        student = nn.ModuleList([self.model_["student"]])
        for m in student.modules():  # the student is small and learns from dense soft labels
            if isinstance(m, nn.Embedding):
                m.sparse = False
        return sgd_and_adam(student, self.settings.student_lr, self.settings.student_lr)

    def score(self, users):
        student = self.model_["student"]
        return student.score_all(student.users(users))

    def sizes(self):
        count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
        return {"parameters": count(self.model_["student"]), "teacher_parameters": count(self.model_["teacher"]),
                "student_parameters": count(self.model_["student"])}

    def embeddings(self):
        return {"target": to_numpy(self.model_["student"].users.weight)}
