"""Subject-access exports (UK GDPR Article 15) of one pupil or one member of staff: `columns`
(what each table holds, and what is left out and why), `gather` (reading it, `pupil_export`,
`staff_export`) and `pack` (summary.html, data.json, the CSVs and the zip)."""
