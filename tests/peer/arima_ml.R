# Peer fit of a regression with AR(p) errors by exact maximum likelihood.
# Usage: Rscript arima_ml.R <in.csv> <out.csv> <t0> <p>
#   in.csv has t (0, 1, ..., n-1) and y (NA for rows left out: the Kalman filter skips them).
#   arima(y, order = c(p, 0, 0), xreg = cbind(t, level, slope), method = "ML") with the
#   optimiser's relative tolerance tightened to 1e-12 (the default stops ~1e-5 short).
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
d <- read.csv(args[1])
t0 <- as.numeric(args[3]); p <- as.integer(args[4])
level <- as.numeric(d$t >= t0); slope <- (d$t - t0) * level
fit <- arima(d$y, order = c(p, 0, 0), xreg = cbind(t = d$t, level, slope), method = "ML",
             optim.control = list(reltol = 1e-12, maxit = 1000))
se <- sqrt(diag(fit$var.coef))
out <- data.frame(term = c(paste0("ar", seq_len(p)), "intercept", "trend", "level_change",
                           "trend_change"),
                  estimate = unname(coef(fit)), std_err = unname(se))
write_estimates(out, args[2])
