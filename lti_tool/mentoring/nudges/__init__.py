"""Nudges: the one ledger of reminders sent to people, the weekly limit, and the reminders for
overdue milestones and goals and for profiles left incomplete before matching."""
