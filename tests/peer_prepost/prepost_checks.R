# Cross-checks of slp_eval.prepost against base R (stats). Prints "key,value" lines at full
# precision; tests/test_prepost_peer.py runs this and compares. Only base R is needed.
out <- function(key, value) cat(sprintf("%s,%.17g\n", key, value))

# prop.test without continuity correction: Pearson chi-square p and Wald interval of p1 - p2
pt <- prop.test(c(378, 189), c(450, 450), correct = FALSE)
out("prop_p", pt$p.value)
out("prop_low", pt$conf.int[1]); out("prop_high", pt$conf.int[2])
pt2 <- prop.test(c(56, 48), c(70, 80), correct = FALSE)
out("prop2_p", pt2$p.value)
out("prop2_low", pt2$conf.int[1]); out("prop2_high", pt2$conf.int[2])
out("fisher_p", fisher.test(matrix(c(7, 27, 1, 33), 2, byrow = TRUE))$p.value)

# poisson.test: exact conditional rate ratio (first group = after)
pp <- poisson.test(c(152, 201), c(1, 1))
out("pois_rr", pp$estimate); out("pois_p", pp$p.value)
out("pois_low", pp$conf.int[1]); out("pois_high", pp$conf.int[2])
pb <- poisson.test(c(680, 1102), c(31, 31))
out("bed_p", pb$p.value); out("bed_low", pb$conf.int[1]); out("bed_high", pb$conf.int[2])
p1 <- poisson.test(7, 1)
out("single_low", p1$conf.int[1]); out("single_high", p1$conf.int[2])

# mcnemar.test (continuity-corrected) and the exact version via binom.test on discordant pairs
tab <- matrix(c(794, 86, 150, 570), nrow = 2)  # Agresti (1990) presidential approval
out("mcnemar_p", mcnemar.test(tab)$p.value)
out("mcnemar_exact_p", binom.test(86, 86 + 150)$p.value)

# wilcox.test with conf.int: Hodges-Lehmann shift and exact Moses interval (y - x)
x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
w <- wilcox.test(x, y, conf.int = TRUE)
out("hl_est", w$estimate); out("hl_low", w$conf.int[1]); out("hl_high", w$conf.int[2])
out("mw_p", w$p.value)

# Welch t test
tt <- t.test(x, y)
out("welch_p", tt$p.value); out("welch_low", tt$conf.int[1]); out("welch_high", tt$conf.int[2])

# p.adjust
pv <- c(0.01, 0.04, 0.03, 0.005, 0.2)
h <- p.adjust(pv, "holm"); b <- p.adjust(pv, "BH")
for (i in seq_along(pv)) { out(paste0("holm", i), h[i]); out(paste0("bh", i), b[i]) }
