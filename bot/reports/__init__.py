"""Reports for staff, admins and the agencies: contest results (XLSX, CSV, PNG), the yearly
report (DOCX) and usage figures. Every number comes from the database through the contest
engine (`bot.contests`); nothing here ranks or scores on its own."""
