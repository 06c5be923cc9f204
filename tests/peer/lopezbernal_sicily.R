# The Sicily models of Lopez Bernal, Cummins & Gasparrini (2017, IJE), exactly as the authors'
# Rcode.R (gasparrini/2017_lopezbernal_IJE_codedata) fits them, in the authors' own time coding
# (time = 1..59, smokban = 1 from time 37). tsModel is not in Debian, so harmonic(month, 2, 12)
# is written out by hand: tsModel::harmonic(x, nfreq, period) returns
# cbind(sin(2*pi*k*x/period), cos(2*pi*k*x/period)) for k = 1..nfreq.
#   model1: poisson,      aces ~ offset(log(stdpop)) + smokban + time
#   model2: quasipoisson, same terms
#   model3: quasipoisson, + harmonic(month, 2, 12)
#   model4: quasipoisson, + I(time - 36):smokban (the corrected, centred change-in-slope)
# Usage: Rscript lopezbernal_sicily.R <sicily.csv> <out.csv>
args <- commandArgs(trailingOnly = TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
data <- read.csv(args[1])
harm <- cbind(sin(2 * pi * 1 * data$month / 12), cos(2 * pi * 1 * data$month / 12),
              sin(2 * pi * 2 * data$month / 12), cos(2 * pi * 2 * data$month / 12))
data$h1 <- harm[, 1]; data$h2 <- harm[, 2]; data$h3 <- harm[, 3]; data$h4 <- harm[, 4]
data$inter <- (data$time - 36) * data$smokban
models <- list(
  model1 = glm(aces ~ offset(log(stdpop)) + smokban + time, family = poisson, data),
  model2 = glm(aces ~ offset(log(stdpop)) + smokban + time, family = quasipoisson, data),
  model3 = glm(aces ~ offset(log(stdpop)) + smokban + time + h1 + h2 + h3 + h4,
               family = quasipoisson, data),
  model4 = glm(aces ~ offset(log(stdpop)) + smokban + time + inter + h1 + h2 + h3 + h4,
               family = quasipoisson, data))
rows <- list()
for (nm in names(models)) {
  fit <- models[[nm]]
  ct <- summary(fit)$coefficients
  keep <- intersect(c("(Intercept)", "smokban", "time", "inter"), rownames(ct))
  tab <- tidy_from(ct[keep, 1], ct[keep, 2], Inf, ct[keep, 4], nm)
  # the level change at the first ban month (time 37) in model4's centred parameterisation,
  # and its standard error from the model's covariance: smokban + inter
  if (nm == "model4") {
    L <- setNames(rep(0, nrow(ct)), rownames(ct)); L[c("smokban", "inter")] <- 1
    est <- sum(L * coef(fit)); se <- sqrt(drop(t(L) %*% vcov(fit) %*% L))
    tab <- rbind(tab, tidy_from(c(step_at_37 = est), se, Inf, 2 * pnorm(-abs(est / se)), nm))
  }
  tab <- rbind(tab, data.frame(model = nm, term = "dispersion",
                               estimate = summary(fit)$dispersion, std_err = NA, ci_low = NA,
                               ci_high = NA, p_value = NA))
  rows[[nm]] <- tab
}
write_estimates(do.call(rbind, rows), args[2])
