"""Guangdong product quality credit supervision (广东省产品质量信用分类监管)."""
