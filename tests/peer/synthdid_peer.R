# Peer for slp_eval.panel.fit_synthetic_did: R synthdid 0.0.9's own estimator files (vendored in
# tests/peer/synthdid, sourced with base R) on the same matrix and the same placebo and bootstrap
# draws. Usage: Rscript synthdid_peer.R Y.csv N0 T0 method placebo.csv bootstrap.csv out.csv
# Y.csv: the outcome matrix without header (donors first); method: sdid, sc or did;
# placebo.csv / bootstrap.csv: one draw per line, 1-based row indices (may be empty files).
args <- commandArgs(trailingOnly = TRUE)
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
for (f in c("synthdid.R", "solver.R", "vcov.R", "utils.R")) source(file.path(here, "synthdid", f))
Y <- as.matrix(read.csv(args[1], header = FALSE))
dimnames(Y) <- NULL
N0 <- as.integer(args[2]); T0 <- as.integer(args[3]); method <- args[4]
read_draws <- function(path) {
  if (file.info(path)$size == 0) return(list())
  lapply(strsplit(readLines(path), ","), as.integer)
}
estimator <- switch(method, sdid = synthdid_estimate, sc = sc_estimate, did = did_estimate)
est <- estimator(Y, N0, T0)
setup <- attr(est, "setup"); opts <- attr(est, "opts"); weights <- attr(est, "weights")
N1 <- nrow(Y) - N0
# placebo_se's theta and bootstrap_sample's theta, with the draws given instead of sample()
placebo <- vapply(read_draws(args[5]), function(ind) {
  n0 <- length(ind) - N1
  wb <- weights; wb$omega <- sum_normalize(weights$omega[ind[1:n0]])
  c(do.call(synthdid_estimate, c(list(Y = setup$Y[ind, ], N0 = n0, T0 = setup$T0,
                                      X = setup$X[ind, , ], weights = wb), opts)))
}, numeric(1))
boot <- vapply(read_draws(args[6]), function(ind) {
  wb <- weights; wb$omega <- sum_normalize(weights$omega[sort(ind[ind <= N0])])
  c(do.call(synthdid_estimate, c(list(Y = setup$Y[sort(ind), ], N0 = sum(ind <= N0), T0 = setup$T0,
                                      X = setup$X[sort(ind), , ], weights = wb), opts)))
}, numeric(1))
jack <- if (N1 > 1) c(jackknife_se(est)) else NA
rows <- rbind(
  data.frame(quantity = "estimate", index = 0, value = c(est)),
  data.frame(quantity = "omega", index = seq_along(weights$omega), value = weights$omega),
  data.frame(quantity = "lambda", index = seq_along(weights$lambda), value = weights$lambda),
  data.frame(quantity = "jackknife_se", index = 0, value = jack),
  if (length(placebo)) data.frame(quantity = "placebo", index = seq_along(placebo), value = placebo),
  if (length(boot)) data.frame(quantity = "bootstrap", index = seq_along(boot), value = boot)
)
rows$value <- sprintf("%.17g", rows$value)
write.csv(rows, args[7], row.names = FALSE)
