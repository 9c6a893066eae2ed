"""Payroll (給与計算): withholding, premiums, gross-to-net and payroll runs."""
