# Linden (2015) multiple-group ITSA: California (treated) against the other 38 states, OLS with
# Newey-West standard errors, lag 1, autocovariances computed within each state and the
# n/(n-k) scaling, as Stata's `newey` does with panel data (`itsa` with treatid() and lag(1)):
#   V = n/(n-k) (X'X)^-1 [ sum_g ( S_g'S_g + sum_l w_l (S_g,t' S_g,t-l + S_g,t-l' S_g,t) ) ] (X'X)^-1
# with S the rows x_t * e_t of unit g in year order and Bartlett weights w_l = 1 - l/(L+1).
# sandwich has no within-unit HAC (vcovPL sums over units first: Driscoll-Kraay), so the meat is
# written out here from sandwich::estfun; t tests on n - k df via lmtest::coeftest.
# Usage: Rscript linden_prop99_panel.R <cigsales.csv> <out.csv>
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
suppressPackageStartupMessages({library(sandwich); library(lmtest)})
d <- read.csv(args[1])
d <- d[order(d$state_id, d$year), ]
d$t <- d$year - 1970
d$x <- as.numeric(d$year >= 1989)
d$xt <- (d$year - 1989) * d$x
d$z <- as.numeric(d$state == "California")
fit <- lm(cigsale ~ t + x + xt + z + z:t + z:x + z:xt, data = d)
S <- estfun(fit)
L <- 1
meat <- matrix(0, ncol(S), ncol(S))
for (g in unique(d$state_id)) {
  Sg <- S[d$state_id == g, , drop = FALSE]
  meat <- meat + crossprod(Sg)
  for (l in seq_len(L)) {
    G <- crossprod(Sg[(l + 1):nrow(Sg), , drop = FALSE], Sg[1:(nrow(Sg) - l), , drop = FALSE])
    meat <- meat + (1 - l / (L + 1)) * (G + t(G))
  }
}
bread <- solve(crossprod(model.matrix(fit)))
n <- nrow(d); k <- ncol(S)
V <- n / (n - k) * bread %*% meat %*% bread
ct <- coeftest(fit, vcov. = V)
out <- tidy_from(ct[, 1], ct[, 2], fit$df.residual, ct[, 4], "newey_panel_lag1")
out$term <- c("intercept", "trend", "level_change[1989]", "trend_change[1989]", "group",
              "group:trend", "group:level_change[1989]", "group:trend_change[1989]")
write_estimates(out, args[2])
