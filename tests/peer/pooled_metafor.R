# Random-effects pooling with metafor::rma for tests/test_pooled_peer.py.
# Usage: Rscript pooled_metafor.R input.csv output.csv alpha [test]
# test: "z" (default) or "knha" (Hartung-Knapp-Sidik-Jonkman).
# input: columns term, estimate, std_err; one rma per term and method (DL, PM), root tolerance 1e-12.
suppressMessages(library(metafor))
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
alpha <- as.numeric(args[3])
test <- if (length(args) >= 4) args[4] else "z"
rows <- list()
for (term in unique(d$term)) {
  x <- d[d$term == term, ]
  for (method in c("DL", "PM")) {
    r <- rma(yi = x$estimate, sei = x$std_err, method = method, test = test, level = 100 * (1 - alpha),
             control = list(tol = 1e-12, maxiter = 1000))
    rows[[length(rows) + 1]] <- data.frame(
      term = term, method = tolower(method), estimate = as.numeric(r$beta), std_err = r$se,
      ci_low = r$ci.lb, ci_high = r$ci.ub, p_value = r$pval, tau2 = r$tau2, i2 = r$I2 / 100,
      h2 = r$H2, q = r$QE, q_p_value = r$QEp, stringsAsFactors = FALSE)
  }
}
out <- do.call(rbind, rows)
num <- vapply(out, is.numeric, logical(1))
out[num] <- lapply(out[num], function(v) sprintf("%.17g", v))
write.csv(out, args[2], row.names = FALSE)
