"""Bookkeeping ledger (記帳): chart of accounts, journal, periods, reports, exports."""
