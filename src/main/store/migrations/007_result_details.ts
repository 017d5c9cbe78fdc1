// Strategy-specific results (issue 10): what a strategy reports beyond the architecture and the retrain's
// evaluation, e.g. InstaNAS's latency table, per-instance policy figures, baseline and variants A–E, stored as
// one JSON object keyed by its kind (`{ "instanas": {…} }`) and validated by its schema when read. A plain
// ADD COLUMN: every existing row keeps its values and gets NULL.
export const sql = /* sql */ `
ALTER TABLE runs ADD COLUMN result_details TEXT CHECK (result_details IS NULL OR json_valid(result_details));
`;
