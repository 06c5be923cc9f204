# Peer for slp_eval.panel.fit_did: lm with unit and period factors, sandwich::vcovCL clustered by
# unit (type HC1: G/(G-1) (N-1)/(N-K)), t on G-1 df (lmtest::coeftest), and for staggered starts
# Sun and Abraham's aggregation of the cohort x relative-time coefficients, written here again.
# Usage: Rscript did_twfe.R panel.csv out.csv   (panel: unit, t, y, start; start NA for controls)
suppressPackageStartupMessages({ library(sandwich); library(lmtest) })
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$unit <- factor(d$unit); d$tf <- factor(d$t)
G <- nlevels(d$unit)
d$rel <- ifelse(is.na(d$start), NA, d$t - d$start)
cohorts <- sort(unique(na.omit(d$start)))
out <- list()
if (length(cohorts) == 1) {
  d$D <- as.numeric(!is.na(d$rel) & d$rel >= 0)
  fit <- lm(y ~ unit + tf + D, data = d)
  ct <- coeftest(fit, vcov. = vcovCL(fit, cluster = ~unit, type = "HC1"), df = G - 1)
  out[[1]] <- data.frame(term = "att", estimate = ct["D", 1], std_err = ct["D", 2], p_value = ct["D", 4])
}
# saturated event study: one dummy per cohort x relative time, k = -1 left out
cells <- unique(d[!is.na(d$rel) & d$rel != -1, c("start", "rel")])
cells <- cells[order(cells$start, cells$rel), ]
names <- character(0)
for (i in seq_len(nrow(cells))) {
  nm <- sprintf("c%d_k%d", cells$start[i], cells$rel[i])
  nm <- gsub("-", "m", nm)
  d[[nm]] <- as.numeric(!is.na(d$rel) & d$start == cells$start[i] & d$rel == cells$rel[i])
  names <- c(names, nm)
}
fit <- lm(as.formula(paste("y ~ unit + tf +", paste(names, collapse = " + "))), data = d)
V <- vcovCL(fit, cluster = ~unit, type = "HC1")
b <- coef(fit)[names]; V <- V[names, names]
n_units <- table(unique(d[!is.na(d$start), c("unit", "start")])$start)
share <- as.numeric(n_units[as.character(cells$start)])
agg <- function(a, term) {
  est <- sum(a * b); se <- sqrt(as.numeric(t(a) %*% V %*% a))
  data.frame(term = term, estimate = est, std_err = se, p_value = 2 * pt(-abs(est / se), G - 1))
}
for (k in sort(unique(cells$rel))) {
  a <- ifelse(cells$rel == k, share, 0); a <- a / sum(a)
  out[[length(out) + 1]] <- agg(a, sprintf("event_time[%d]", k))
}
if (length(cohorts) > 1) {
  a <- ifelse(cells$rel >= 0, share, 0); a <- a / sum(a)
  out[[length(out) + 1]] <- agg(a, "att")
}
write_estimates(do.call(rbind, out), args[2])
