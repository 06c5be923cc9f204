# Satterthwaite degrees of freedom of linear functions of an nlme::gls AR(1) REML fit, from
# emmeans (mode = "satterthwaite": nlme's apVar and numerical derivatives of the covariance).
# Usage: Rscript gls_satterthwaite.R <in.csv> <out.csv> <t0>
#   in.csv has t (0, 1, ..., n-1) and y; y = b0 + b1*t + b2*D + b3*(t - t0)*D, AR(1) errors.
#   Writes one row per point of the reference grid t in {0, 10}, level in {0, 1},
#   slope in {0, 5}: the values, the prediction, its SE and df.
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages({library(nlme); library(emmeans)})
d <- read.csv(args[1])
t0 <- as.numeric(args[3])
d$level <- as.numeric(d$t >= t0)
d$slope <- (d$t - t0) * d$level
fit <- gls(y ~ t + level + slope, data = d, correlation = corAR1(form = ~ t), method = "REML",
           control = glsControl(tolerance = 1e-10, msTol = 1e-10))
rg <- ref_grid(fit, at = list(t = c(0, 10), level = c(0, 1), slope = c(0, 5)),
               mode = "satterthwaite")
s <- as.data.frame(summary(rg))
out <- data.frame(t = s$t, level = s$level, slope = s$slope, estimate = s$prediction,
                  std_err = s$SE, df = s$df,
                  rho = coef(fit$modelStruct$corStruct, unconstrained = FALSE))
num <- vapply(out, is.numeric, logical(1))
out[num] <- lapply(out[num], function(x) sprintf("%.17g", x))
write.csv(out, args[2], row.names = FALSE)
