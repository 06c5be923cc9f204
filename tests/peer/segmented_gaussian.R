# Peer fit of a single-interruption segmented regression on a gaussian series.
# Usage: Rscript segmented_gaussian.R <in.csv> <out.csv> <errors: ols|newey|ar> <t0> [lag]
#   in.csv has columns t (0, 1, ..., n-1) and y. The design is built here, independently of
#   slp-eval: y = b0 + b1*t + b2*D + b3*(t - t0)*D, D = 1 from t = t0 on.
#   newey: lm + sandwich::NeweyWest(lag, prewhite = FALSE, adjust = TRUE) (Stata `newey` scaling
#          n/(n-k)), t tests on n-k df via lmtest::coeftest; lag "auto": the Newey & West (1994)
#          plug-in floor(bwNeweyWest(fit, kernel = "Bartlett", prewhite = FALSE)).
#   ar:    nlme::gls with corAR1, REML; t tests on n-p df. Adds a row "rho" (estimate only).
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
suppressPackageStartupMessages({library(nlme); library(sandwich); library(lmtest)})
d <- read.csv(args[1])
errors <- args[3]
t0 <- as.numeric(args[4])
d$level <- as.numeric(d$t >= t0)
d$slope <- (d$t - t0) * d$level
terms <- c("intercept", "trend", "level_change", "trend_change")
if (errors %in% c("ols", "newey")) {
  fit <- lm(y ~ t + level + slope, data = d)
  V <- if (errors == "newey") {
    lag <- if (args[5] == "auto") floor(bwNeweyWest(fit, kernel = "Bartlett", prewhite = FALSE))
           else as.integer(args[5])
    NeweyWest(fit, lag = lag, prewhite = FALSE, adjust = TRUE)
  } else vcov(fit)
  ct <- coeftest(fit, vcov. = V)
  out <- tidy_from(ct[, 1], ct[, 2], fit$df.residual, ct[, 4], errors)
} else if (errors == "ar") {
  fit <- gls(y ~ t + level + slope, data = d, correlation = corAR1(form = ~ t), method = "REML")
  # nlme's optimiser stops with rho good to ~1e-6, which moves the estimates by ~1e-6: the
  # size of the tolerance checked. So rho is polished with R's optimize() (Brent, tol 1e-12)
  # on nlme's own restricted log-likelihood at fixed rho, near nlme's answer, and the model is
  # refitted at that rho (nlme's beta, SEs and df are conditional on rho either way).
  phi <- coef(fit$modelStruct$corStruct, unconstrained = FALSE)
  reml_at <- function(r) {
    as.numeric(logLik(gls(y ~ t + level + slope, data = d, method = "REML",
                          correlation = corAR1(r, form = ~ t, fixed = TRUE))))
  }
  best <- optimize(reml_at, c(max(-0.99999, phi - 1e-3), min(0.99999, phi + 1e-3)),
                   maximum = TRUE, tol = 1e-12)
  if (best$objective >= as.numeric(logLik(fit))) {
    fit <- gls(y ~ t + level + slope, data = d, method = "REML",
               correlation = corAR1(best$maximum, form = ~ t, fixed = TRUE))
  }
  tt <- summary(fit)$tTable
  out <- tidy_from(tt[, 1], tt[, 2], nrow(d) - nrow(tt), tt[, 4], "ar")
  rho <- coef(fit$modelStruct$corStruct, unconstrained = FALSE)
  out <- rbind(out, data.frame(model = "ar", term = "rho", estimate = unname(rho), std_err = NA,
                               ci_low = NA, ci_high = NA, p_value = NA))
  terms <- c(terms, "rho")
} else stop("errors must be ols, newey or ar")
out$term <- terms
write_estimates(out, args[2])
