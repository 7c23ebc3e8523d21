"""Domain rules, each written once: deadlines, eligibility, who may see what."""
