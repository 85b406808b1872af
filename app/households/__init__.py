"""Households (户) under each grid, the people in them, and 十联户 groups with their 联户长."""
