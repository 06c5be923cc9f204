# Peer fit of a single-interruption segmented Poisson / quasi-Poisson regression.
# Usage: Rscript segmented_counts.R <in.csv> <out.csv> <family: poisson|quasipoisson> <t0> <K> <period>
#   in.csv has columns t (0, 1, ..., n-1), y (counts) and optionally exposure (log offset).
#   log E[y] = log(exposure) + b0 + b1*t + b2*D + b3*(t - t0)*D + sum_k Fourier_k(t)
#   with K sine/cosine pairs sin(2*pi*k*t/period), cos(2*pi*k*t/period) built here by hand.
#   Intervals are Wald intervals on the normal scale (as Epi::ci.exp and Stata glm report);
#   p-values are R's own (z for poisson, t on residual df for quasipoisson).
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
d <- read.csv(args[1])
fam <- switch(args[3], poisson = poisson(), quasipoisson = quasipoisson(), stop("bad family"))
t0 <- as.numeric(args[4]); K <- as.integer(args[5]); period <- as.numeric(args[6])
d$level <- as.numeric(d$t >= t0)
d$slope <- (d$t - t0) * d$level
rhs <- "t + level + slope"
for (k in seq_len(K)) {
  d[[paste0("sin", k)]] <- sin(2 * pi * k * d$t / period)
  d[[paste0("cos", k)]] <- cos(2 * pi * k * d$t / period)
  rhs <- paste(rhs, "+", paste0("sin", k), "+", paste0("cos", k))
}
if ("exposure" %in% names(d)) rhs <- paste(rhs, "+ offset(log(exposure))")
fit <- glm(as.formula(paste("y ~", rhs)), family = fam, data = d)
ct <- summary(fit)$coefficients
out <- tidy_from(ct[1:4, 1], ct[1:4, 2], Inf, ct[1:4, 4], args[3])
out$term <- c("intercept", "trend", "level_change", "trend_change")
out <- rbind(out, data.frame(model = args[3], term = "dispersion",
                             estimate = summary(fit)$dispersion, std_err = NA, ci_low = NA,
                             ci_high = NA, p_value = NA))
write_estimates(out, args[2])
