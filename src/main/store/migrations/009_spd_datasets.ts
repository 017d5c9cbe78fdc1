// SPD datasets (issue 11): a dataset is either images (IDX, the kind every existing row is) or SPD matrices.
// An SPD set's facts that images do not have — where its matrices came from (matrix files, feature sequences
// turned into covariance descriptors, or generated), the file formats, how train and test were split, its
// class names — go in one JSON column, NULL for images. Plain ADD COLUMNs: existing rows keep every value.
export const sql = /* sql */ `
ALTER TABLE datasets ADD COLUMN kind TEXT NOT NULL DEFAULT 'images' CHECK (kind IN ('images', 'spd'));
ALTER TABLE datasets ADD COLUMN spd TEXT CHECK (spd IS NULL OR json_valid(spd));
`;
