# Peer fit of a single-interruption segmented regression with AR(1) errors by exact maximum
# likelihood: stats::arima(y, order = c(1, 0, 0), xreg = cbind(t, level, slope), method = "ML").
# Usage: Rscript arima_ml.R <in.csv> <out.csv> <t0>
#   in.csv has columns t (0, 1, ..., n-1) and y. The design is built here, independently of
#   slp-eval: y = b0 + b1*t + b2*D + b3*(t - t0)*D + e, D = 1 from t = t0 on, e AR(1).
#   Standard errors from arima's var.coef (inverse Hessian); z tests, as arima has no df.
#   Adds a row "rho" (estimate and SE only).
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
d <- read.csv(args[1])
t0 <- as.numeric(args[3])
level <- as.numeric(d$t >= t0)
slope <- (d$t - t0) * level
fit <- arima(d$y, order = c(1, 0, 0), xreg = cbind(t = d$t, level, slope), method = "ML",
             optim.control = list(maxit = 1000))
if (fit$code != 0) stop("arima did not converge: code ", fit$code)
est <- fit$coef
se <- sqrt(diag(fit$var.coef))
keep <- c("intercept", "t", "level", "slope")
out <- tidy_from(est[keep], se[keep], Inf, 2 * pnorm(-abs(est[keep] / se[keep])), "arima")
out$term <- c("intercept", "trend", "level_change", "trend_change")
out <- rbind(out, data.frame(model = "arima", term = "rho", estimate = unname(est["ar1"]),
                             std_err = unname(se["ar1"]), ci_low = NA, ci_high = NA, p_value = NA))
write_estimates(out, args[2])
