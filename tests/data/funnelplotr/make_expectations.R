# Expected funnel-plot numbers from FunnelPlotR 0.6.0's own functions (nhs-r-community/FunnelPlotR,
# MIT, commit 9020d4972873d863e10b8a16555975f0e322adfc): R/aggregate_func.R, R/od_adjustment.R and
# R/calculate_limits.R, sourced from a checkout (FUNNELPLOTR_R names its R/ folder), called in the
# order funnel_plot() calls them (R/funnel_plot.R). Base R only: FunnelPlotR is not in Debian.
# Run: FUNNELPLOTR_R=/path/to/FunnelPlotR/R Rscript make_expectations.R
src <- Sys.getenv("FUNNELPLOTR_R")
for (f in c("aggregate_func.R", "od_adjustment.R", "calculate_limits.R")) source(file.path(src, f))

expect <- function(d, data_type, sr_method = "SHMI", trim_by = 0.1, name) {
  agg <- aggregate_func(data.frame(numerator = d$numerator, denominator = d$denominator,
                                   group = as.factor(d$group)))
  target <- ifelse(data_type == "SR", 1, sum(agg$numerator) / sum(agg$denominator))
  agg <- transformed_zscore(agg, data_type = data_type, sr_method = sr_method)
  if (data_type == "SR" && sr_method == "SHMI") agg <- truncation(agg, trim_by = trim_by)
  else agg <- winsorisation(agg, trim_by = trim_by)
  n <- as.numeric(sum(!is.na(agg$Wuzscore)))
  phi <- phi_func(n = n, zscores = na.omit(agg$Wuzscore))
  tau2 <- tau_func(n = n, phi = phi, S = agg[!is.na(agg$Wuzscore), ]$s)
  # the limits at the data's denominators, sorted as funnel_plot()'s lookup table is (the arcsine
  # monotonicity fix compares each row with the next larger denominator)
  lim <- data.frame(number_seq = sort(unique(agg$denominator)))
  lim <- calculate_limits(lim, data_type, sr_method, 1, tau2, target, draw_adjusted = TRUE)
  k <- ncol(lim); names(lim)[(k - 3):k] <- c("odll95", "odul95", "odll998", "odul998")
  lim <- calculate_limits(lim, data_type, sr_method, 1, tau2, target, draw_adjusted = FALSE)
  k <- ncol(lim); names(lim)[(k - 3):k] <- c("ll95", "ul95", "ll998", "ul998")
  lim <- lim[match(agg$denominator, lim$number_seq), ]
  out <- data.frame(group = agg$group, numerator = agg$numerator, denominator = agg$denominator,
                    z = agg$Uzscore, z_w = agg$Wuzscore, phi = phi, tau2 = tau2, target = target)
  out <- cbind(out, lim[, setdiff(names(lim), c("number_seq", "s"))])
  write.csv(out, paste0("expected_", name, ".csv"), row.names = FALSE)
}

eip <- read.csv("eip_providers_2018_10_to_2019_09.csv")
expect(data.frame(numerator = eip$numerator, denominator = eip$denominator, group = eip$unit),
       "PR", name = "eip_proportion")
# FunnelPlotR's own test data (tests/testthat/test-funnel_plot.R): six groups, observed / expected
dt <- data.frame(numerator = c(100, 150, 180, 80, 120, 225), denominator = c(108, 112, 165, 95, 100, 220),
                 group = c("a", "b", "c", "d", "e", "f"))
expect(dt, "SR", "SHMI", name = "testdata_sr_shmi")
expect(dt, "SR", "CQC", trim_by = 0.05, name = "testdata_sr_cqc")
