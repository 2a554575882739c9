"""Transfer techniques as small composable loss modules (as domain-adaptation libraries do)."""

from crossrec.losses.adversarial import (DomainAdversarialLoss, DomainDiscriminator,
                                         GradientReverseLayer, WarmStartGradientReverseLayer)
from crossrec.losses.distill import RankingDistillationLoss, SoftLabelDistillationLoss
from crossrec.losses.discrepancy import coral_distance, mmd_rbf
from crossrec.losses.ranking import bpr_loss, l2_penalty
from crossrec.losses.variational import gaussian_kl

__all__ = ["DomainAdversarialLoss", "DomainDiscriminator", "GradientReverseLayer",
           "RankingDistillationLoss", "SoftLabelDistillationLoss", "WarmStartGradientReverseLayer",
           "bpr_loss", "coral_distance", "gaussian_kl", "l2_penalty", "mmd_rbf"]
