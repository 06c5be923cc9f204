# Linden (2015, Stata Journal 15(2):480-500) single-group ITSA of California's per-capita
# cigarette sales, 1970-2000, first intervention year 1989, Newey-West with lag 1:
#   cigsale = b0 + b1*_t + b2*_x1989 + b3*_x_t1989, _t = year - 1970,
#   _x1989 = (year >= 1989), _x_t1989 = (year - 1989) * _x1989.
# Stata `newey`/`itsa` scale the HAC matrix by n/(n-k); sandwich's adjust = TRUE does the same.
# Also the post-intervention trend b1 + b3 with its standard error (itsa's posttrend lincom).
# Usage: Rscript linden_prop99.R <cigsales_single.csv> <out.csv>
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
suppressPackageStartupMessages({library(sandwich); library(lmtest)})
d <- read.csv(args[1])
d$t <- d$year - 1970
d$x <- as.numeric(d$year >= 1989)
d$xt <- (d$year - 1989) * d$x
fit <- lm(cigsale ~ t + x + xt, data = d)
V <- NeweyWest(fit, lag = 1, prewhite = FALSE, adjust = TRUE)
ct <- coeftest(fit, vcov. = V)
out <- tidy_from(ct[, 1], ct[, 2], fit$df.residual, ct[, 4], "newey_lag1")
out$term <- c("intercept", "trend", "level_change[1989]", "trend_change[1989]")
L <- c(0, 1, 0, 1)
est <- sum(L * coef(fit)); se <- sqrt(drop(t(L) %*% V %*% L))
post <- tidy_from(c(post_trend = est), se, fit$df.residual,
                  2 * pt(-abs(est / se), fit$df.residual), "newey_lag1")
write_estimates(rbind(out, post), args[2])
