plot(1:10)
abline(h = 5)
hist(c(1, 2, 2, 3, 3, 3))
r <- barplot(1:3)
r
dev.cur() > 1
