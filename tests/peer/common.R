# Shared helpers for the R peer scripts: write a tidy estimates table at full precision.
write_estimates <- function(rows, path) {
  num <- vapply(rows, is.numeric, logical(1))
  rows[num] <- lapply(rows[num], function(x) sprintf("%.17g", x))
  write.csv(rows, path, row.names = FALSE, quote = TRUE)
}

tidy_from <- function(est, se, df, p, model = NA_character_) {
  # Wald intervals on the same reference distribution as the p-values:
  # t(df) when df is finite, standard normal when df is Inf.
  q <- if (is.finite(df)) qt(0.975, df) else qnorm(0.975)
  data.frame(model = model, term = names(est), estimate = unname(est),
             std_err = unname(se), ci_low = unname(est - q * se),
             ci_high = unname(est + q * se), p_value = unname(p),
             stringsAsFactors = FALSE)
}
