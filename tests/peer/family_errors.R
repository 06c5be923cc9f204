# Peer fit of a single-interruption segmented GLM for every family with an R counterpart, with
# model-based or Newey-West standard errors.
# Usage: Rscript family_errors.R <in.csv> <out.csv> <family> <errors: ols|newey> <t0> <lag> <K>
#   lag "auto": floor(sandwich::bwNeweyWest(fit, kernel = "Bartlett", prewhite = FALSE)), the
#   Newey & West (1994) plug-in rule (written as a "lag" row).
#   family: poisson | quasipoisson | negbin (MASS::glm.nb) | binomial (quasibinomial, y out of
#   trials). in.csv has t (0, 1, ..., n-1), y, and exposure (counts, log offset) or trials.
#   link(E y) = b0 + b1*t + b2*D + b3*(t - t0)*D + K Fourier pairs (period 12), built here.
#   newey: sandwich::NeweyWest(fit, lag, prewhite = FALSE, adjust = TRUE) (n/(n-k) scaling).
#   Writes the four effect terms and a "dispersion" row (Pearson chi2 / df for quasi families,
#   theta for negbin).
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
suppressPackageStartupMessages({library(MASS); library(sandwich); library(lmtest)})
d <- read.csv(args[1])
family <- args[3]; errors <- args[4]; t0 <- as.numeric(args[5])
lag <- suppressWarnings(as.integer(args[6])); K <- as.integer(args[7])
d$level <- as.numeric(d$t >= t0)
d$slope <- (d$t - t0) * d$level
rhs <- "t + level + slope"
for (k in seq_len(K)) {
  d[[paste0("sin", k)]] <- sin(2 * pi * k * d$t / 12)
  d[[paste0("cos", k)]] <- cos(2 * pi * k * d$t / 12)
  rhs <- paste(rhs, "+", paste0("sin", k), "+", paste0("cos", k))
}
if ("exposure" %in% names(d)) rhs <- paste(rhs, "+ offset(log(exposure))")
if (family == "binomial") {
  fit <- glm(as.formula(paste("cbind(y, trials - y) ~", rhs)), family = quasibinomial, data = d,
             control = glm.control(epsilon = 1e-12, maxit = 100))
} else if (family == "negbin") {
  fit <- glm.nb(as.formula(paste("y ~", rhs)), data = d, control = glm.control(epsilon = 1e-12,
                                                                               maxit = 100))
} else {
  fam <- switch(family, poisson = poisson(), quasipoisson = quasipoisson())
  fit <- glm(as.formula(paste("y ~", rhs)), family = fam, data = d,
             control = glm.control(epsilon = 1e-12, maxit = 100))
}
if (is.na(lag)) lag <- floor(bwNeweyWest(fit, kernel = "Bartlett", prewhite = FALSE))
V <- if (errors == "newey") NeweyWest(fit, lag = lag, prewhite = FALSE, adjust = TRUE) else vcov(fit)
se <- sqrt(diag(V))[1:4]
dispersion <- if (family == "negbin") fit$theta else summary(fit)$dispersion
out <- data.frame(term = c("intercept", "trend", "level_change", "trend_change", "dispersion",
                           "lag"),
                  estimate = c(unname(coef(fit)[1:4]), dispersion, lag),
                  std_err = c(unname(se), NA, NA))
write_estimates(out, args[2])
